// argmax / argmin along the last axis of a C-contiguous (rows, length) array.
// Ties give the first index; a NaN is the extreme (the first NaN wins), as NumPy.
// Compiled per dtype with T (the C type), IS_FLOAT (0/1) and BETTER (> or <)
// defined in front of this source. One block handles one (row, chunk); with more than
// one chunk a second launch reduces the per-chunk winners (idx_in holds their indices).
__device__ __forceinline__ bool nigiri_better(T a, long long ia, T b, long long ib) {
    if (ia < 0) return false;
    if (ib < 0) return true;
#if IS_FLOAT
    bool an = a != a, bn = b != b;
    if (an || bn) return (an && bn) ? ia < ib : an;
#endif
    if (a BETTER b) return true;
    if (b BETTER a) return false;
    return ia < ib;
}

extern "C" __global__ void nigiri_argreduce(
        const T* __restrict__ x, const long long* __restrict__ idx_in,
        long long rows, long long length, long long chunk, long long nchunks,
        T* __restrict__ val_out, long long* __restrict__ idx_out) {
    __shared__ T sv[256];
    __shared__ long long si[256];
    long long task = blockIdx.x;
    long long row = task / nchunks, part = task % nchunks;
    long long start = part * chunk;
    long long stop = start + chunk < length ? start + chunk : length;
    const T* xr = x + row * length;
    T best = T();
    long long bi = -1;
    for (long long j = start + threadIdx.x; j < stop; j += blockDim.x) {
        T v = xr[j];
        long long iv = idx_in ? idx_in[row * length + j] : j;
        if (nigiri_better(v, iv, best, bi)) { best = v; bi = iv; }
    }
    sv[threadIdx.x] = best;
    si[threadIdx.x] = bi;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
            T v = sv[threadIdx.x + s];
            long long iv = si[threadIdx.x + s];
            if (nigiri_better(v, iv, sv[threadIdx.x], si[threadIdx.x])) {
                sv[threadIdx.x] = v;
                si[threadIdx.x] = iv;
            }
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        val_out[task] = sv[0];
        idx_out[task] = si[0];
    }
}
