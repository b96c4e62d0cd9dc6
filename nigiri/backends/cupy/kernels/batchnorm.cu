// Per-channel partial sums for batch normalisation over x[N, C, HW] (T the element
// type, ACC the accumulator, both defined in front of this source). Block b handles
// channel b / nsplit over samples [split * N / nsplit, (split + 1) * N / nsplit).
// Forward (dy == 0): s1 = sum(x - K), s2 = sum((x - K)^2) with the shift K = x[0, c, 0]
// (keeps E[v^2] - E[v]^2 well conditioned). Backward: s1 = sum(dy),
// s2 = sum(dy * (x - mean[c])).
extern "C" __global__ void nigiri_bn_partial(
        const T* __restrict__ x, const T* __restrict__ dy, const T* __restrict__ mean,
        long long N, long long C, long long HW, long long nsplit,
        ACC* __restrict__ out1, ACC* __restrict__ out2) {
    __shared__ ACC r1[256];
    __shared__ ACC r2[256];
    long long c = blockIdx.x / nsplit, split = blockIdx.x % nsplit;
    long long n0 = split * N / nsplit, n1 = (split + 1) * N / nsplit;
    ACC shift = dy ? (ACC)mean[c] : (ACC)x[c * HW];
    ACC s1 = 0, s2 = 0;
    if (HW >= blockDim.x) {  // rows of one sample: no division, 4 loads in flight
        const long long bd = blockDim.x;
        for (long long n = n0; n < n1; ++n) {
            const long long base = (n * C + c) * HW;
            long long k = threadIdx.x;
            if (dy) {
                for (; k + 3 * bd < HW; k += 4 * bd) {
                    T x0 = x[base + k], x1 = x[base + k + bd], x2 = x[base + k + 2 * bd], x3 = x[base + k + 3 * bd];
                    T g0 = dy[base + k], g1 = dy[base + k + bd], g2 = dy[base + k + 2 * bd], g3 = dy[base + k + 3 * bd];
                    s1 += ((ACC)g0 + (ACC)g1) + ((ACC)g2 + (ACC)g3);
                    s2 += ((ACC)g0 * ((ACC)x0 - shift) + (ACC)g1 * ((ACC)x1 - shift))
                        + ((ACC)g2 * ((ACC)x2 - shift) + (ACC)g3 * ((ACC)x3 - shift));
                }
            } else {
                for (; k + 3 * bd < HW; k += 4 * bd) {
                    ACC v0 = (ACC)x[base + k] - shift, v1 = (ACC)x[base + k + bd] - shift;
                    ACC v2 = (ACC)x[base + k + 2 * bd] - shift, v3 = (ACC)x[base + k + 3 * bd] - shift;
                    s1 += (v0 + v1) + (v2 + v3);
                    s2 += (v0 * v0 + v1 * v1) + (v2 * v2 + v3 * v3);
                }
            }
            for (; k < HW; k += bd) {
                ACC v = (ACC)x[base + k] - shift;
                if (dy) { ACC g = (ACC)dy[base + k]; s1 += g; s2 += g * v; }
                else { s1 += v; s2 += v * v; }
            }
        }
    } else {  // short rows (HW < threads): spread (sample, position) pairs
        for (long long j = n0 * HW + threadIdx.x; j < n1 * HW; j += blockDim.x) {
            long long n = j / HW, k = j - n * HW;
            long long at = (n * C + c) * HW + k;
            ACC v = (ACC)x[at] - shift;
            if (dy) { ACC g = (ACC)dy[at]; s1 += g; s2 += g * v; }
            else { s1 += v; s2 += v * v; }
        }
    }
    r1[threadIdx.x] = s1;
    r2[threadIdx.x] = s2;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
            r1[threadIdx.x] += r1[threadIdx.x + s];
            r2[threadIdx.x] += r2[threadIdx.x + s];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        out1[blockIdx.x] = r1[0];
        out2[blockIdx.x] = r2[0];
    }
}

// Per channel, one thread each: batch statistics from the partial sums, the running
// statistics update (unbiased variance), and the coefficients of y = (x - m) * a + b.
// gamma, beta, rm, rv may be null. training == 0: statistics are the running ones.
extern "C" __global__ void nigiri_bn_finalize_fwd(
        const ACC* __restrict__ p1, const ACC* __restrict__ p2, const T* __restrict__ x,
        const T* __restrict__ gamma, const T* __restrict__ beta, T* __restrict__ rm,
        T* __restrict__ rv, long long C, long long HW, long long nsplit, double count,
        double momentum, double eps, int training,
        T* __restrict__ mean, T* __restrict__ invstd, T* __restrict__ a, T* __restrict__ b) {
    long long c = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    double m, var;
    if (training) {
        double s1 = 0, s2 = 0;
        for (long long i = 0; i < nsplit; ++i) { s1 += p1[c * nsplit + i]; s2 += p2[c * nsplit + i]; }
        double d = s1 / count;
        m = (double)x[c * HW] + d;
        var = s2 / count - d * d;
        if (var < 0) var = 0;
        if (rm && rv) {
            double unbias = count > 1 ? count / (count - 1) : 1.0;
            rm[c] = (T)((1.0 - momentum) * (double)rm[c] + momentum * m);
            rv[c] = (T)((1.0 - momentum) * (double)rv[c] + momentum * var * unbias);
        }
    } else {
        m = (double)rm[c];
        var = (double)rv[c];
    }
    double s = 1.0 / sqrt(var + eps);
    mean[c] = (T)m;
    invstd[c] = (T)s;
    a[c] = (T)(gamma ? s * (double)gamma[c] : s);
    b[c] = beta ? beta[c] : (T)0;
}

// Per channel: dbeta = sum(dy), dgamma = invstd * sum(dy * (x - mean)), and the
// coefficients of dx = ca * dy + cb * (x - mean) + ck.
extern "C" __global__ void nigiri_bn_finalize_bwd(
        const ACC* __restrict__ p1, const ACC* __restrict__ p2, const T* __restrict__ invstd,
        const T* __restrict__ gamma, long long C, long long nsplit, double count,
        T* __restrict__ dgamma, T* __restrict__ dbeta, T* __restrict__ ca,
        T* __restrict__ cb, T* __restrict__ ck) {
    long long c = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    double s1 = 0, s2 = 0;
    for (long long i = 0; i < nsplit; ++i) { s1 += p1[c * nsplit + i]; s2 += p2[c * nsplit + i]; }
    double s = (double)invstd[c];
    double g = gamma ? (double)gamma[c] : 1.0;
    double dg = s * s2;
    double a = g * s;
    dbeta[c] = (T)s1;
    dgamma[c] = (T)dg;
    ca[c] = (T)a;
    cb[c] = (T)(-a * s * dg / count);
    ck[c] = (T)(-a * s1 / count);
}
