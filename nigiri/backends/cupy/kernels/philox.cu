// Philox4x32-10 (Salmon et al., SC'11; Random123), one thread per 128-bit block.
// Bit-identical to nigiri/backends/philox_host.py: block b = counter + i has counter
// words (low 32 bits of b, high 32 bits of b, 0, 0); word j of the output is lane
// j % 4 of block counter + j / 4.
extern "C" __global__ void nigiri_philox4x32_10(
        unsigned int* __restrict__ out, unsigned long long n,
        unsigned int key0, unsigned int key1,
        unsigned int ctr_lo, unsigned int ctr_hi) {
    unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
    unsigned long long nblocks = (n + 3ULL) / 4ULL;
    if (i >= nblocks) return;
    unsigned long long b = (((unsigned long long)ctr_hi << 32) | ctr_lo) + i;
    unsigned int c0 = (unsigned int)b, c1 = (unsigned int)(b >> 32), c2 = 0u, c3 = 0u;
    unsigned int k0 = key0, k1 = key1;
    #pragma unroll
    for (int r = 0; r < 10; ++r) {
        if (r) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
        unsigned int hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        unsigned int hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    unsigned long long base = i * 4ULL;
    if (base + 4ULL <= n) {
        out[base] = c0; out[base + 1] = c1; out[base + 2] = c2; out[base + 3] = c3;
    } else {
        unsigned int w[4] = {c0, c1, c2, c3};
        for (unsigned long long j = 0; base + j < n; ++j) out[base + j] = w[j];
    }
}
