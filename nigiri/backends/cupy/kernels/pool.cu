// 2-d max / average pooling over NCHW planes (T defined in front of this source).
// Max: padding never wins, NaN wins (first NaN), ties give the first position in
// row-major window order; argmax is the flat index h*W + w within the input plane.
// Average: divisor = window positions inside the padded input (count_include_pad,
// PyTorch's default), clipped at the padded border for ceil_mode windows.
#define NIGIRI_NEG_INF (-__longlong_as_double(0x7ff0000000000000LL))
#define POOL_ARGS long long planes, long long H, long long W, long long Ho, long long Wo, \
    long long kh, long long kw, long long sh, long long sw, long long ph, long long pw

extern "C" __global__ void nigiri_maxpool_fwd(const T* __restrict__ x, T* __restrict__ y,
                                              long long* __restrict__ arg, POOL_ARGS) {
    long long total = planes * Ho * Wo;
    for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total;
         t += (long long)blockDim.x * gridDim.x) {
        long long ow = t % Wo, oh = (t / Wo) % Ho, p = t / (Wo * Ho);
        const T* xp = x + p * H * W;
        long long h0 = oh * sh - ph, w0 = ow * sw - pw;
        T best = T(0);
        long long bi = -1;
        bool nan_found = false;
        for (long long i = 0; i < kh && !nan_found; ++i) {
            long long h = h0 + i;
            if (h < 0 || h >= H) continue;
            for (long long j = 0; j < kw; ++j) {
                long long w = w0 + j;
                if (w < 0 || w >= W) continue;
                T v = xp[h * W + w];
                if (v != v) { best = v; bi = h * W + w; nan_found = true; break; }
                if (bi < 0 || v > best) { best = v; bi = h * W + w; }
            }
        }
        y[t] = bi < 0 ? NIGIRI_NEG_INF : best;
        arg[t] = bi;
    }
}

extern "C" __global__ void nigiri_avgpool_fwd(const T* __restrict__ x, T* __restrict__ y,
                                              POOL_ARGS) {
    long long total = planes * Ho * Wo;
    for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total;
         t += (long long)blockDim.x * gridDim.x) {
        long long ow = t % Wo, oh = (t / Wo) % Ho, p = t / (Wo * Ho);
        const T* xp = x + p * H * W;
        long long h0 = oh * sh - ph, w0 = ow * sw - pw;
        long long h1 = h0 + kh < H + ph ? h0 + kh : H + ph;
        long long w1 = w0 + kw < W + pw ? w0 + kw : W + pw;
        long long count = (h1 - h0) * (w1 - w0);
        T s = T(0);
        for (long long h = h0 > 0 ? h0 : 0; h < (h1 < H ? h1 : H); ++h)
            for (long long w = w0 > 0 ? w0 : 0; w < (w1 < W ? w1 : W); ++w)
                s += xp[h * W + w];
        y[t] = s / (T)count;
    }
}

// Backward passes gather, per input pixel, from the windows that contain it.
__device__ __forceinline__ void nigiri_window_range(long long pos, long long k, long long s,
        long long pad, long long out, long long* lo, long long* hi) {
    long long a = pos + pad - k + 1;
    *lo = a <= 0 ? 0 : (a + s - 1) / s;
    long long b = (pos + pad) / s;
    *hi = b < out - 1 ? b : out - 1;
}

extern "C" __global__ void nigiri_maxpool_bwd(const T* __restrict__ dy,
                                              const long long* __restrict__ arg,
                                              T* __restrict__ dx, POOL_ARGS) {
    long long total = planes * H * W;
    for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total;
         t += (long long)blockDim.x * gridDim.x) {
        long long w = t % W, h = (t / W) % H, p = t / (W * H);
        long long ohl, ohh, owl, owh;
        nigiri_window_range(h, kh, sh, ph, Ho, &ohl, &ohh);
        nigiri_window_range(w, kw, sw, pw, Wo, &owl, &owh);
        long long me = h * W + w;
        T s = T(0);
        for (long long oh = ohl; oh <= ohh; ++oh)
            for (long long ow = owl; ow <= owh; ++ow) {
                long long o = (p * Ho + oh) * Wo + ow;
                if (arg[o] == me) s += dy[o];
            }
        dx[t] = s;
    }
}

extern "C" __global__ void nigiri_avgpool_bwd(const T* __restrict__ dy, T* __restrict__ dx,
                                              POOL_ARGS) {
    long long total = planes * H * W;
    for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total;
         t += (long long)blockDim.x * gridDim.x) {
        long long w = t % W, h = (t / W) % H, p = t / (W * H);
        long long ohl, ohh, owl, owh;
        nigiri_window_range(h, kh, sh, ph, Ho, &ohl, &ohh);
        nigiri_window_range(w, kw, sw, pw, Wo, &owl, &owh);
        T s = T(0);
        for (long long oh = ohl; oh <= ohh; ++oh) {
            long long h0 = oh * sh - ph;
            long long h1 = h0 + kh < H + ph ? h0 + kh : H + ph;
            for (long long ow = owl; ow <= owh; ++ow) {
                long long w0 = ow * sw - pw;
                long long w1 = w0 + kw < W + pw ? w0 + kw : W + pw;
                s += dy[(p * Ho + oh) * Wo + ow] / (T)((h1 - h0) * (w1 - w0));
            }
        }
        dx[t] = s;
    }
}
