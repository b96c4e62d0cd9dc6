// im2col / col2im for NCHW convolution (one group of channels at a time).
// col has shape (Cg*kh*kw, N*Ho*Wo): row (c*kh + i)*kw + j, column (n*Ho + oh)*Wo + ow.
// T is the element type (defined in front of this source).
extern "C" __global__ void nigiri_im2col(
        const T* __restrict__ x, T* __restrict__ col,
        long long N, long long C, long long c0, long long Cg, long long H, long long W,
        long long kh, long long kw, long long sh, long long sw, long long ph, long long pw,
        long long dh, long long dw, long long Ho, long long Wo) {
    long long cols = N * Ho * Wo;
    long long total = Cg * kh * kw * cols;
    for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total;
         t += (long long)blockDim.x * gridDim.x) {
        long long q = t % cols, r = t / cols;
        long long ow = q % Wo, oh = (q / Wo) % Ho, n = q / (Wo * Ho);
        long long j = r % kw, i = (r / kw) % kh, c = r / (kw * kh);
        long long h = oh * sh - ph + i * dh, w = ow * sw - pw + j * dw;
        T v = T(0);
        if (h >= 0 && h < H && w >= 0 && w < W)
            v = x[((n * C + c0 + c) * H + h) * W + w];
        col[t] = v;
    }
}

// dx[n, c0 + c, h, w] = sum of the col entries that im2col copied from that pixel.
extern "C" __global__ void nigiri_col2im(
        const T* __restrict__ col, T* __restrict__ dx,
        long long N, long long C, long long c0, long long Cg, long long H, long long W,
        long long kh, long long kw, long long sh, long long sw, long long ph, long long pw,
        long long dh, long long dw, long long Ho, long long Wo) {
    long long cols = N * Ho * Wo;
    long long total = N * Cg * H * W;
    for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total;
         t += (long long)blockDim.x * gridDim.x) {
        long long w = t % W, h = (t / W) % H, c = (t / (W * H)) % Cg, n = t / (W * H * Cg);
        ACC s = ACC(0);
        for (long long i = 0; i < kh; ++i) {
            long long hh = h + ph - i * dh;
            if (hh < 0 || hh % sh) continue;
            long long oh = hh / sh;
            if (oh >= Ho) continue;
            for (long long j = 0; j < kw; ++j) {
                long long ww = w + pw - j * dw;
                if (ww < 0 || ww % sw) continue;
                long long ow = ww / sw;
                if (ow >= Wo) continue;
                s += (ACC)col[((c * kh + i) * kw + j) * cols + (n * Ho + oh) * Wo + ow];
            }
        }
        dx[((n * C + c0 + c) * H + h) * W + w] = (T)s;
    }
}
