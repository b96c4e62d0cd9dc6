// nigiri's tiled, register-blocked GEMM: C[b] = A[b] @ B[b] on padded operands.
//
// Operands are packed first (pack kernel below): AT[b] is A[b] transposed and zero-
// padded to Kp x Mp, Bp[b] is B[b] zero-padded to Kp x Np, with Mp, Np, Kp multiples
// of the tile sizes, so the main loop has no bounds checks and every global load is
// an aligned VW-wide vector. Each work-group computes an MWG x NWG tile of C, staging
// KWG-deep slices of AT and Bp in local memory (the next slice is fetched into
// registers while the current one is multiplied). Each work-item accumulates
// MWI x NWI outputs, strided across the tile in VWM / VWN-wide vectors so that
// neighbouring work-items read neighbouring local-memory vectors. C is written with
// bounds checks (M, N, ldc), so any shape and any output stride works.
//
// Parameters (defined by the host): T, TV (T vector of width VW), TMV / TNV (T vectors
// of width VWM / VWN), VW, MWG, NWG, KWG, MDIMC, NDIMC, VWM, VWN, KERNEL, and the
// vload/vstore macros VLOADG/VSTOREG (width VW), VLOADM/VSTOREM, VLOADN/VSTOREN.

#define MWI (MWG / MDIMC)
#define NWI (NWG / NDIMC)
#define WGS (MDIMC * NDIMC)

#if KERNEL == 0
#define LA ((KWG * MWG / VW) / WGS)
#define LB ((KWG * NWG / VW) / WGS)

__kernel __attribute__((reqd_work_group_size(MDIMC, NDIMC, 1)))
void gemm_tiled(const int M, const int N, const int Mp, const int Np, const int Kp,
                __global const TV* restrict AT, const long a_bstride,
                __global const TV* restrict Bp, const long b_bstride,
                __global T* C, const long c_off, const long ldc, const long c_bstride)
{
    const int tidm = get_local_id(0);
    const int tidn = get_local_id(1);
    const int tid = tidn * MDIMC + tidm;
    const int gm = get_group_id(0) * MWG;
    const int gn = get_group_id(1) * NWG;
    const long batch = get_group_id(2);
    __global const TV* A = AT + batch * a_bstride + gm / VW;
    __global const TV* B = Bp + batch * b_bstride + gn / VW;
    const int a_ld = Mp / VW;
    const int b_ld = Np / VW;

    // local tiles typed as VWM / VWN vectors so reads are aligned wide loads
    __local TMV AsV[KWG * MWG / VWM];
    __local TNV BsV[KWG * NWG / VWN];
    __local T* As = (__local T*)AsV;
    __local T* Bs = (__local T*)BsV;

    T acc[MWI * NWI];
    #pragma unroll
    for (int i = 0; i < MWI * NWI; ++i) acc[i] = (T)0;

    TV ra[LA];
    TV rb[LB];
    #pragma unroll
    for (int l = 0; l < LA; ++l) {
        const int e = tid + l * WGS;
        ra[l] = A[(e / (MWG / VW)) * a_ld + (e % (MWG / VW))];
    }
    #pragma unroll
    for (int l = 0; l < LB; ++l) {
        const int e = tid + l * WGS;
        rb[l] = B[(e / (NWG / VW)) * b_ld + (e % (NWG / VW))];
    }

    for (int k0 = 0; k0 < Kp; k0 += KWG) {
        #pragma unroll
        for (int l = 0; l < LA; ++l) {
            const int e = tid + l * WGS;
            VSTOREG(ra[l], 0, As + (e / (MWG / VW)) * MWG + (e % (MWG / VW)) * VW);
        }
        #pragma unroll
        for (int l = 0; l < LB; ++l) {
            const int e = tid + l * WGS;
            VSTOREG(rb[l], 0, Bs + (e / (NWG / VW)) * NWG + (e % (NWG / VW)) * VW);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (k0 + KWG < Kp) {
            const long kn = (long)(k0 + KWG);
            #pragma unroll
            for (int l = 0; l < LA; ++l) {
                const int e = tid + l * WGS;
                ra[l] = A[(kn + e / (MWG / VW)) * a_ld + (e % (MWG / VW))];
            }
            #pragma unroll
            for (int l = 0; l < LB; ++l) {
                const int e = tid + l * WGS;
                rb[l] = B[(kn + e / (NWG / VW)) * b_ld + (e % (NWG / VW))];
            }
        }
        #pragma unroll
        for (int kk = 0; kk < KWG; ++kk) {
            T a[MWI];
            T b[NWI];
            #pragma unroll
            for (int mv = 0; mv < MWI / VWM; ++mv)
                VSTOREM(AsV[kk * (MWG / VWM) + tidm + mv * MDIMC], 0, a + mv * VWM);
            #pragma unroll
            for (int nv = 0; nv < NWI / VWN; ++nv)
                VSTOREN(BsV[kk * (NWG / VWN) + tidn + nv * NDIMC], 0, b + nv * VWN);
            #pragma unroll
            for (int i = 0; i < MWI; ++i) {
                #pragma unroll
                for (int j = 0; j < NWI; ++j) acc[i * NWI + j] = fma(a[i], b[j], acc[i * NWI + j]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    __global T* Cb = C + c_off + batch * c_bstride;
    #pragma unroll
    for (int i = 0; i < MWI; ++i) {
        const int m = gm + (tidm + (i / VWM) * MDIMC) * VWM + (i % VWM);
        if (m < M) {
            #pragma unroll
            for (int j = 0; j < NWI; ++j) {
                const int n = gn + (tidn + (j / VWN) * NDIMC) * VWN + (j % VWN);
                if (n < N) Cb[(long)m * ldc + n] = acc[i * NWI + j];
            }
        }
    }
}

#endif

#if KERNEL == 1
// CPU variant (KERNEL == 1): no local memory and no barriers. PoCL turns the code
// between barriers into loops over work-items and spills private accumulators to
// memory, so the tiled kernel above crawls on CPUs; here each work-item keeps
// MWI x NWI outputs in VWN-wide vector registers (MWI x NWI/VWN FMAs per k) and
// streams its packed A and B panels, which neighbouring work-items of the group share
// through the cache. Parameters: MWI rows per item, NWI = NV * VWN columns per item.
#define NV (NWI / VWN)
__kernel __attribute__((reqd_work_group_size(MDIMC, NDIMC, 1)))
void gemm_cpu(const int M, const int N, const int Mp, const int Np, const int Kp,
              __global const TV* restrict AT, const long a_bstride,
              __global const TV* restrict Bp, const long b_bstride,
              __global T* C, const long c_off, const long ldc, const long c_bstride)
{
    const int m0 = get_global_id(0) * MWI;
    const int n0 = get_global_id(1) * NWI;
    const long batch = get_global_id(2);
    // panel-major packing: this item's A and B panels are contiguous Kp x MWI / Kp x NWI
    // (a_bstride / b_bstride count elements here, not vectors)
    __global const T* A = (__global const T*)AT + batch * a_bstride + (long)get_global_id(0) * Kp * MWI;
    __global const T* B = (__global const T*)Bp + batch * b_bstride + (long)get_global_id(1) * Kp * NWI;
    TN acc[MWI][NV];
    #pragma unroll
    for (int i = 0; i < MWI; ++i) {
        #pragma unroll
        for (int v = 0; v < NV; ++v) acc[i][v] = (TN)0;
    }
    #pragma unroll 4
    for (int k = 0; k < Kp; ++k) {
        TN b[NV];
        #pragma unroll
        for (int v = 0; v < NV; ++v) b[v] = VLOADN(v, B + (long)k * NWI);
        #pragma unroll
        for (int i = 0; i < MWI; ++i) {
            const TN a = (TN)(A[(long)k * MWI + i]);
            #pragma unroll
            for (int v = 0; v < NV; ++v) acc[i][v] += a * b[v];  // PoCL lowers fma() on vectors to slow calls (measured 2.5x)
        }
    }
    __global T* Cb = C + c_off + batch * c_bstride;
    for (int i = 0; i < MWI; ++i) {
        const int m = m0 + i;
        if (m >= M) break;
        for (int v = 0; v < NV; ++v) {
            const int n = n0 + v * VWN;
            if (n + VWN <= N) {
                VSTOREN(acc[i][v], 0, Cb + (long)m * ldc + n);
            } else {
                T tmp[VWN];
                VSTOREN(acc[i][v], 0, tmp);
                for (int e = 0; e < VWN && n + e < N; ++e) Cb[(long)m * ldc + n + e] = tmp[e];
            }
        }
    }
}
#endif

// dst[b] = src(b, r, c) for r < R, c < Cc, zero up to Rp x Cp, stored in column
// panels of width P: element (r, c) at (c / P) * Rp * P + r * P + c % P (P = Cp is plain
// row-major). src element (b, r, c) lives at s_off + b * s_b + r * s_r + c * s_c. The
// transposing variant reads along r (coalesced when s_r == 1) through a local tile.
__kernel __attribute__((reqd_work_group_size(16, 16, 1)))
void pack(__global T* dst, const int Rp, const int Cp, const int P, const long d_bstride,
          __global const SRC_T* src, const long s_off, const long s_b, const long s_r,
          const long s_c, const int R, const int Cc)
{
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int c0 = get_group_id(0) * 16, r0 = get_group_id(1) * 16;
    const long b = get_group_id(2);
    __global const SRC_T* s = src + s_off + b * s_b;
    __global T* d = dst + b * d_bstride;
#ifdef PACK_TRANSPOSED
    __local T tile[16][17];
    {
        const int r = r0 + lx, c = c0 + ly;
        tile[ly][lx] = (r < R && c < Cc) ? (T)SRC_LOAD(s, r * s_r + c * s_c) : (T)0;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    {
        const int r = r0 + ly, c = c0 + lx;
        if (r < Rp && c < Cp) d[(long)(c / P) * Rp * P + (long)r * P + c % P] = tile[lx][ly];
    }
#else
    const int r = r0 + ly, c = c0 + lx;
    if (r < Rp && c < Cp)
        d[(long)(c / P) * Rp * P + (long)r * P + c % P] =
            (r < R && c < Cc) ? (T)SRC_LOAD(s, r * s_r + c * s_c) : (T)0;
#endif
}
