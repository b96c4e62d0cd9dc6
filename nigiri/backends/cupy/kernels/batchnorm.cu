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
    for (long long j = n0 * HW + threadIdx.x; j < n1 * HW; j += blockDim.x) {
        long long n = j / HW, k = j - n * HW;
        long long at = (n * C + c) * HW + k;
        ACC v = (ACC)x[at] - shift;
        if (dy) { ACC g = (ACC)dy[at]; s1 += g; s2 += g * v; }
        else { s1 += v; s2 += v * v; }
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
