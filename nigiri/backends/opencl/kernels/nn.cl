// nn fast-path kernels (NCHW, contiguous), specialised by the host for T = float or
// double. Semantics follow PyTorch's CPU kernels, which nn/functional.py mirrors.

__kernel void im2col(__global T* cols, __global const T* x, const int C, const int H,
                     const int W, const int KH, const int KW, const int SH, const int SW,
                     const int PH, const int PW, const int DH, const int DW, const int HO,
                     const int WO, const long total) {
    const long g = get_global_id(0);
    if (g >= total) return;
    long t = g;
    const int ow = t % WO; t /= WO;
    const int oh = t % HO; t /= HO;
    const int kj = t % KW; t /= KW;
    const int ki = t % KH; t /= KH;
    const int c = t % C;
    const long n = t / C;
    const int ih = oh * SH - PH + ki * DH;
    const int iw = ow * SW - PW + kj * DW;
    cols[g] = (ih >= 0 && ih < H && iw >= 0 && iw < W) ? x[((n * C + c) * H + ih) * W + iw] : (T)0;
}

// dx[n, c, h, w] = sum of the column entries that im2col copied from (h, w).
__kernel void col2im(__global T* dx, __global const T* cols, const int C, const int H,
                     const int W, const int KH, const int KW, const int SH, const int SW,
                     const int PH, const int PW, const int DH, const int DW, const int HO,
                     const int WO, const long total) {
    const long g = get_global_id(0);
    if (g >= total) return;
    long t = g;
    const int w = t % W; t /= W;
    const int h = t % H; t /= H;
    const int c = t % C;
    const long n = t / C;
    T acc = 0;
    for (int ki = 0; ki < KH; ++ki) {
        const int th = h + PH - ki * DH;
        if (th < 0 || th % SH) continue;
        const int oh = th / SH;
        if (oh >= HO) continue;
        for (int kj = 0; kj < KW; ++kj) {
            const int tw = w + PW - kj * DW;
            if (tw < 0 || tw % SW) continue;
            const int ow = tw / SW;
            if (ow >= WO) continue;
            acc += cols[((((n * C + c) * KH + ki) * KW + kj) * HO + oh) * WO + ow];
        }
    }
    dx[g] = acc;
}

__kernel void add_channel_bias(__global T* y, __global const T* b, const int O, const long S,
                               const long total) {
    const long g = get_global_id(0);
    if (g >= total) return;
    y[g] += b[(g / S) % O];
}

__kernel void maxpool_fwd(__global T* y, __global long* arg, __global const T* x, const int H,
                          const int W, const int HO, const int WO, const int KH, const int KW,
                          const int SH, const int SW, const int PH, const int PW,
                          const long total) {
    const long g = get_global_id(0);
    if (g >= total) return;
    const int ow = g % WO;
    const int oh = (g / WO) % HO;
    const long plane = g / ((long)WO * HO);
    int hs = oh * SH - PH, ws = ow * SW - PW;
    const int he = min(hs + KH, H), we = min(ws + KW, W);
    hs = max(hs, 0); ws = max(ws, 0);
    __global const T* xp = x + plane * H * W;
    T best = -INFINITY;
    long bi = (long)hs * W + ws;
    for (int h = hs; h < he; ++h)
        for (int w = ws; w < we; ++w) {
            const T v = xp[h * W + w];
            if (v > best || isnan(v)) { best = v; bi = (long)h * W + w; }
        }
    y[g] = best;
    arg[g] = bi;
}

__kernel void avgpool_fwd(__global T* y, __global const T* x, const int H, const int W,
                          const int HO, const int WO, const int KH, const int KW, const int SH,
                          const int SW, const int PH, const int PW, const int include_pad,
                          const long total) {
    const long g = get_global_id(0);
    if (g >= total) return;
    const int ow = g % WO;
    const int oh = (g / WO) % HO;
    const long plane = g / ((long)WO * HO);
    int hs = oh * SH - PH, ws = ow * SW - PW;
    int he = min(hs + KH, H + PH), we = min(ws + KW, W + PW);
    const int pool = (he - hs) * (we - ws);
    hs = max(hs, 0); ws = max(ws, 0); he = min(he, H); we = min(we, W);
    __global const T* xp = x + plane * H * W;
    T acc = 0;
    for (int h = hs; h < he; ++h)
        for (int w = ws; w < we; ++w) acc += xp[h * W + w];
    y[g] = acc / (T)(include_pad ? pool : (he - hs) * (we - ws));
}

// Gradient of both poolings, one work-item per input element (no atomics).
__kernel void pool_bwd(__global T* dx, __global const T* dy, __global const long* arg,
                       const int is_max, const int H, const int W, const int HO, const int WO,
                       const int KH, const int KW, const int SH, const int SW, const int PH,
                       const int PW, const int include_pad, const long total) {
    const long g = get_global_id(0);
    if (g >= total) return;
    const int w = g % W;
    const int h = (g / W) % H;
    const long plane = g / ((long)W * H);
    const int oh0 = (h + PH < KH) ? 0 : (h + PH - KH) / SH + 1;
    const int oh1 = min((h + PH) / SH, HO - 1);
    const int ow0 = (w + PW < KW) ? 0 : (w + PW - KW) / SW + 1;
    const int ow1 = min((w + PW) / SW, WO - 1);
    const long me = (long)h * W + w;
    T acc = 0;
    for (int oh = oh0; oh <= oh1; ++oh)
        for (int ow = ow0; ow <= ow1; ++ow) {
            const long o = (plane * HO + oh) * WO + ow;
            if (is_max) {
                if (arg[o] == me) acc += dy[o];
            } else {
                int hs = oh * SH - PH, ws = ow * SW - PW;
                int he = min(hs + KH, H + PH), we = min(ws + KW, W + PW);
                int pool = (he - hs) * (we - ws);
                if (!include_pad) {
                    hs = max(hs, 0); ws = max(ws, 0); he = min(he, H); we = min(we, W);
                    pool = (he - hs) * (we - ws);
                }
                acc += dy[o] / (T)pool;
            }
        }
    dx[g] = acc;
}

__kernel void xent_fwd(__global T* loss, __global T* probs, __global const T* logits,
                       __global const long* labels, const long N, const long K,
                       const long ignore) {
    const long i = get_global_id(0);
    if (i >= N) return;
    __global const T* row = logits + i * K;
    __global T* prow = probs + i * K;
    T mx = -INFINITY;
    for (long j = 0; j < K; ++j) mx = fmax(mx, row[j]);
    T s = 0;
    for (long j = 0; j < K; ++j) s += exp(row[j] - mx);
    for (long j = 0; j < K; ++j) prow[j] = exp(row[j] - mx) / s;
    const long lab = labels[i];
    loss[i] = (lab == ignore) ? (T)0 : (mx + log(s)) - row[lab];
}

__kernel void xent_bwd(__global T* dlogits, __global const T* probs, __global const long* labels,
                       __global const T* dloss, const long K, const long ignore,
                       const long total) {
    const long g = get_global_id(0);
    if (g >= total) return;
    const long i = g / K, j = g % K;
    const long lab = labels[i];
    dlogits[g] = (lab == ignore) ? (T)0 : (probs[g] - (j == lab ? (T)1 : (T)0)) * dloss[i];
}

// Per-channel batch statistics: one work-group (WG items) per channel, two passes.
__kernel void bn_stats(__global T* mean, __global T* invstd, __global T* rmean,
                       __global T* rvar, __global const T* x, const long N, const long C,
                       const long S, const T eps, const T momentum, const int update) {
    const long c = get_group_id(0);
    const int lid = get_local_id(0);
    const long cnt = N * S;
    __local T sh[WG];
    T acc = 0;
    for (long e = lid; e < cnt; e += WG) acc += x[((e / S) * C + c) * S + e % S];
    sh[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) sh[lid] += sh[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const T mu = sh[0] / (T)cnt;
    barrier(CLK_LOCAL_MEM_FENCE);
    acc = 0;
    for (long e = lid; e < cnt; e += WG) {
        const T d = x[((e / S) * C + c) * S + e % S] - mu;
        acc += d * d;
    }
    sh[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) sh[lid] += sh[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) {
        const T var = sh[0] / (T)cnt;
        mean[c] = mu;
        invstd[c] = (T)1 / sqrt(var + eps);
        if (update) {
            const T unbiased = cnt > 1 ? var * (T)cnt / (T)(cnt - 1) : var;
            rmean[c] = ((T)1 - momentum) * rmean[c] + momentum * mu;
            rvar[c] = ((T)1 - momentum) * rvar[c] + momentum * unbiased;
        }
    }
}

__kernel void bn_eval_stats(__global T* mean, __global T* invstd, __global const T* rmean,
                            __global const T* rvar, const T eps, const long C) {
    const long c = get_global_id(0);
    if (c >= C) return;
    mean[c] = rmean[c];
    invstd[c] = (T)1 / sqrt(rvar[c] + eps);
}

__kernel void bn_apply(__global T* y, __global const T* x, __global const T* mean,
                       __global const T* invstd, __global const T* gamma,
                       __global const T* beta, const int affine, const long C, const long S,
                       const long total) {
    const long g = get_global_id(0);
    if (g >= total) return;
    const long c = (g / S) % C;
    T v = (x[g] - mean[c]) * invstd[c];
    if (affine) v = v * gamma[c] + beta[c];
    y[g] = v;
}

// Per-channel sums for the backward pass: dbeta = sum dy, dgamma = sum dy * xhat.
__kernel void bn_bwd_sums(__global T* dgamma, __global T* dbeta, __global const T* dy,
                          __global const T* x, __global const T* mean,
                          __global const T* invstd, const long N, const long C, const long S) {
    const long c = get_group_id(0);
    const int lid = get_local_id(0);
    const long cnt = N * S;
    __local T s1[WG];
    __local T s2[WG];
    T a1 = 0, a2 = 0;
    const T mu = mean[c], is = invstd[c];
    for (long e = lid; e < cnt; e += WG) {
        const long i = ((e / S) * C + c) * S + e % S;
        a1 += dy[i];
        a2 += dy[i] * (x[i] - mu) * is;
    }
    s1[lid] = a1; s2[lid] = a2;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) { s1[lid] += s1[lid + s]; s2[lid] += s2[lid + s]; }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) { dbeta[c] = s1[0]; dgamma[c] = s2[0]; }
}

__kernel void bn_bwd_dx(__global T* dx, __global const T* dy, __global const T* x,
                        __global const T* mean, __global const T* invstd,
                        __global const T* gamma, const int affine, __global const T* dgamma,
                        __global const T* dbeta, const long C, const long S, const long cnt,
                        const long total) {
    const long g = get_global_id(0);
    if (g >= total) return;
    const long c = (g / S) % C;
    const T is = invstd[c];
    const T xhat = (x[g] - mean[c]) * is;
    const T gm = affine ? gamma[c] : (T)1;
    dx[g] = gm * is / (T)cnt * ((T)cnt * dy[g] - dbeta[c] - xhat * dgamma[c]);
}

__kernel void sgd(__global T* p, __global const T* grad, __global T* vel, const T lr,
                  const T momentum, const T wd, const int nesterov, const int has_vel,
                  const long total) {
    const long g = get_global_id(0);
    if (g >= total) return;
    const T gr = grad[g] + wd * p[g];
    if (!has_vel) { p[g] -= lr * gr; return; }
    const T v = momentum * vel[g] + gr;
    vel[g] = v;
    p[g] -= lr * (nesterov ? gr + momentum * v : v);
}
