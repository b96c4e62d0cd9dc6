// Philox4x32-10 (Salmon et al., SC'11; Random123): one 128-bit block per work-item.
// Word j of the stream is lane j % 4 of block counter + j / 4; counter words are the
// low and high 32 bits of the 64-bit block number, then 0, 0 (nigiri's contract).
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

__kernel void philox(__global uint* out, const ulong n, const uint k0in, const uint k1in,
                     const ulong counter) {
    const ulong b = get_global_id(0);
    const ulong first = b * 4;
    if (first >= n) return;
    const ulong blk = counter + b;
    uint c0 = (uint)blk, c1 = (uint)(blk >> 32), c2 = 0u, c3 = 0u;
    uint k0 = k0in, k1 = k1in;
    for (int r = 0; r < 10; ++r) {
        if (r) { k0 += PHILOX_W0; k1 += PHILOX_W1; }
        const uint hi0 = mul_hi(PHILOX_M0, c0), lo0 = PHILOX_M0 * c0;
        const uint hi1 = mul_hi(PHILOX_M1, c2), lo1 = PHILOX_M1 * c2;
        const uint n0 = hi1 ^ c1 ^ k0;
        const uint n2 = hi0 ^ c3 ^ k1;
        c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    }
    if (first + 3 < n) {
        out[first] = c0; out[first + 1] = c1; out[first + 2] = c2; out[first + 3] = c3;
    } else {
        out[first] = c0;
        if (first + 1 < n) out[first + 1] = c1;
        if (first + 2 < n) out[first + 2] = c2;
    }
}
