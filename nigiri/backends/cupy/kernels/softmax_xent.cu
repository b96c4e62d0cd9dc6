// Softmax cross-entropy forward, one block per row of logits[N, K] (T and L, the
// label type, defined in front of this source). probs = softmax(row); loss =
// logsumexp(row) - row[label], 0 where label == ignore_index.
#define NIGIRI_NEG_INF (-__longlong_as_double(0x7ff0000000000000LL))
extern "C" __global__ void nigiri_softmax_xent_fwd(
        const T* __restrict__ logits, const L* __restrict__ labels, T* __restrict__ probs,
        T* __restrict__ loss, long long N, long long K, long long ignore_index) {
    __shared__ T red[256];
    long long row = blockIdx.x;
    const T* x = logits + row * K;
    T* p = probs + row * K;
    T m = NIGIRI_NEG_INF;
    for (long long j = threadIdx.x; j < K; j += blockDim.x) m = x[j] > m || x[j] != x[j] ? x[j] : m;
    red[threadIdx.x] = m;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
            T o = red[threadIdx.x + s];
            if (o > red[threadIdx.x] || o != o) red[threadIdx.x] = o;
        }
        __syncthreads();
    }
    m = red[0];
    __syncthreads();
    T sum = T(0);
    for (long long j = threadIdx.x; j < K; j += blockDim.x) {
        T e = exp(x[j] - m);
        p[j] = e;
        sum += e;
    }
    red[threadIdx.x] = sum;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) red[threadIdx.x] += red[threadIdx.x + s];
        __syncthreads();
    }
    sum = red[0];
    T inv = T(1) / sum;
    for (long long j = threadIdx.x; j < K; j += blockDim.x) p[j] *= inv;
    if (threadIdx.x == 0) {
        long long lab = (long long)labels[row];
        loss[row] = (lab == ignore_index || lab < 0 || lab >= K) ? T(0) : log(sum) + m - x[lab];
    }
}
