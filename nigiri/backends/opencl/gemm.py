"""Matrix multiplication: the tuned tiled kernel (kernels/gemm.cl) for float32/float64
and a direct strided kernel for small problems and the other dtypes.

``matmul_into`` takes strided 3-d views (batch, rows, cols) of A, B and a contiguous
C. The tiled path packs A (transposed) and B into zero-padded, tile-aligned buffers
(one pass each, O(n^2) against the O(n^3) product), so transposed or strided inputs
and edge tiles cost nothing inside the main loop. Tile parameters come from
``autotune`` (see there), chosen per device and cached on disk.
"""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np

from . import cltypes as ct
from .buffer import CLBuffer
from .runtime import Runtime

__all__ = ["GemmConfig", "tiled_into", "direct_into", "default_config", "config_source", "use_tiled", "valid"]

_KERNEL_DIR = pathlib.Path(__file__).with_name("kernels")
_GEMM_CL: str | None = None
_direct_cache: dict[tuple, tuple[str, list[Any]]] = {}

GemmConfig = dict  # keys: KERNEL (0 tiled, 1 cpu) MWG NWG KWG MDIMC NDIMC VWM VWN


def _gemm_cl() -> str:
    global _GEMM_CL
    if _GEMM_CL is None:
        _GEMM_CL = (_KERNEL_DIR / "gemm.cl").read_text()
    return _GEMM_CL


def _vec_macros(name: str, width: int) -> str:
    if width == 1:
        return (f"#define VLOAD{name}(o, p) (*(p))\n"
                f"#define VSTORE{name}(v, o, p) (*(p) = (v))\n")
    return (f"#define VLOAD{name}(o, p) vload{width}(o, p)\n"
            f"#define VSTORE{name}(v, o, p) vstore{width}(v, o, p)\n")


def valid(cfg: GemmConfig, dtype: np.dtype, rt: Runtime) -> bool:
    """Whether ``cfg`` is legal for ``dtype`` on this device."""
    vw = 4 if dtype == np.float32 else 2
    wgs = cfg["MDIMC"] * cfg["NDIMC"]
    if cfg["KERNEL"] == 1:
        return (wgs <= rt.max_wg and cfg["MWG"] % cfg["MDIMC"] == 0 and cfg["KWG"] == 1
                and cfg["NWG"] % (cfg["NDIMC"] * cfg["VWN"]) == 0
                and cfg["VWN"] * dtype.itemsize <= 32)
    if max(cfg["VWM"], cfg["VWN"]) * dtype.itemsize > 16:
        return False  # wider vectors than 128 bits break PoCL's x86 ABI (double8)
    if wgs > rt.max_wg:
        return False
    if cfg["MWG"] % (cfg["MDIMC"] * cfg["VWM"]) or cfg["NWG"] % (cfg["NDIMC"] * cfg["VWN"]):
        return False
    if (cfg["KWG"] * cfg["MWG"] // vw) % wgs or (cfg["KWG"] * cfg["NWG"] // vw) % wgs:
        return False
    if (cfg["KWG"] * cfg["MWG"] // vw) < wgs or (cfg["KWG"] * cfg["NWG"] // vw) < wgs:
        return False
    local = cfg["KWG"] * (cfg["MWG"] + cfg["NWG"]) * dtype.itemsize
    return local <= rt.facts["local_memory_bytes"]


def config_source(cfg: GemmConfig, dtype: np.dtype, src_dtype: np.dtype | None = None,
                  transposed: bool = False) -> str:
    """The gemm.cl source specialised for ``cfg`` and ``dtype``."""
    t = ct.STORAGE[ct.key(dtype)]
    vw = 4 if dtype == np.float32 else 2
    src_dtype = np.dtype(src_dtype or dtype)
    vwn = cfg["VWN"]
    lines = [ct.pragmas(dtype, src_dtype), f"#define T {t}", f"#define TV {t}{vw}",
             f"#define TN {t}{vwn if vwn > 1 else ''}",
             f"#define TNV {t}{vwn if vwn > 1 else ''}",
             f"#define TMV {t}{cfg['VWM'] if cfg['VWM'] > 1 else ''}",
             f"#define VW {vw}", f"#define SRC_T {ct.STORAGE[ct.key(src_dtype)]}"]
    load = ct.load(src_dtype, "p", "i")
    lines.append(f"#define SRC_LOAD(p, i) ({load})")
    if transposed:
        lines.append("#define PACK_TRANSPOSED 1")
    for k in ("KERNEL", "MWG", "NWG", "KWG", "MDIMC", "NDIMC", "VWM", "VWN"):
        lines.append(f"#define {k} {cfg[k]}")
    lines.append(_vec_macros("G", vw))
    lines.append(_vec_macros("M", cfg["VWM"]))
    lines.append(_vec_macros("N", cfg["VWN"]))
    return "\n".join(lines) + "\n" + _gemm_cl()


def _tiled(mwg: int, nwg: int, kwg: int, mdimc: int, ndimc: int, vwm: int, vwn: int) -> GemmConfig:
    return dict(KERNEL=0, MWG=mwg, NWG=nwg, KWG=kwg, MDIMC=mdimc, NDIMC=ndimc, VWM=vwm, VWN=vwn)


def _cpu(mwi: int, nwi: int, vwn: int, mdimc: int, ndimc: int) -> GemmConfig:
    return dict(KERNEL=1, MWG=mwi * mdimc, NWG=nwi * ndimc, KWG=1, MDIMC=mdimc, NDIMC=ndimc,
                VWM=1, VWN=vwn)


#: candidate configurations for GPUs (local-memory tiled kernel); the autotuner
#: measures those valid on the device
GPU_CANDIDATES: list[GemmConfig] = [
    _tiled(128, 128, 16, 16, 16, 4, 4), _tiled(128, 128, 8, 16, 16, 4, 4),
    _tiled(64, 128, 16, 16, 16, 4, 4), _tiled(128, 64, 16, 16, 16, 4, 4),
    _tiled(64, 64, 16, 16, 16, 4, 4), _tiled(64, 64, 16, 8, 8, 4, 4),
    _tiled(128, 128, 16, 16, 16, 2, 2), _tiled(128, 128, 32, 16, 16, 4, 4),
    _tiled(128, 128, 16, 32, 8, 4, 4), _tiled(128, 128, 16, 8, 32, 4, 4),
    _tiled(64, 64, 32, 8, 8, 4, 4), _tiled(32, 64, 32, 8, 8, 4, 4),
]
#: candidate configurations for CPUs (register-blocked kernel without local memory)
CPU_CANDIDATES: list[GemmConfig] = [
    _cpu(6, 16, 8, 1, 1), _cpu(4, 16, 8, 1, 1), _cpu(6, 8, 8, 1, 1), _cpu(4, 24, 8, 1, 1),
    _cpu(8, 8, 8, 1, 1), _cpu(6, 16, 8, 8, 1), _cpu(4, 16, 8, 4, 4), _cpu(4, 8, 4, 1, 1),
]
CANDIDATES = GPU_CANDIDATES + CPU_CANDIDATES


def candidates_for(rt: Runtime) -> list[GemmConfig]:
    """The candidate list matching the device kind."""
    return CPU_CANDIDATES if rt.facts["kind"] == "cpu" else GPU_CANDIDATES


def default_config(rt: Runtime, dtype: np.dtype) -> GemmConfig:
    """The untuned choice: the first valid candidate for the device kind."""
    for cfg in candidates_for(rt):
        if valid(cfg, dtype, rt):
            return cfg
    return _tiled(16, 16, 16, 4, 4, 1, 1)


def use_tiled(dtype: np.dtype, m: int, n: int, k: int) -> bool:
    """Tiled path for float32/float64 problems big enough to fill tiles."""
    return dtype in (np.float32, np.float64) and m >= 48 and n >= 48 and k >= 16


def _round(v: int, to: int) -> int:
    return (v + to - 1) // to * to


def tiled_into(rt: Runtime, cfg: GemmConfig, a: CLBuffer, b: CLBuffer, c: CLBuffer,
               alloc: Any) -> None:
    """C (contiguous batch x M x N) = A @ B through packing + gemm_tiled."""
    dtype = c.dtype
    batch, m, k = a.shape
    n = b.shape[2]
    mp, np_, kp = _round(m, cfg["MWG"]), _round(n, cfg["NWG"]), _round(k, cfg["KWG"])
    i32, i64 = np.int32, np.int64
    at = alloc((batch * kp * mp,), dtype)
    bp = alloc((batch * kp * np_,), dtype)
    cpu = cfg["KERNEL"] == 1
    panel_a = cfg["MWG"] // cfg["MDIMC"] if cpu else mp
    panel_b = cfg["NWG"] // cfg["NDIMC"] if cpu else np_
    for dst, src, rows, cols, rp, cp, s_r, s_c, panel in (
        (at, a, k, m, kp, mp, a.strides[2], a.strides[1], panel_a),
        (bp, b, k, n, kp, np_, b.strides[1], b.strides[2], panel_b),
    ):
        transposed = s_r == 1 and s_c != 1
        pk = rt.kernel(config_source(cfg, dtype, src.dtype, transposed), "pack",
                       [None, i32, i32, i32, i64, None, i64, i64, i64, i64, i32, i32])
        rt.launch(pk, (_round(cp, 16), _round(rp, 16), batch), (16, 16, 1), dst.base, rp, cp,
                  panel, rp * cp, src.base, src.offset, src.strides[0], s_r, s_c, rows, cols)
    vw = 4 if dtype == np.float32 else 2
    name = "gemm_cpu" if cfg["KERNEL"] == 1 else "gemm_tiled"
    kern = rt.kernel(config_source(cfg, dtype), name,
                     [i32, i32, i32, i32, i32, None, i64, None, i64, None, i64, i64, i64])
    gx = mp // cfg["MWG"] * cfg["MDIMC"]
    gy = np_ // cfg["NWG"] * cfg["NDIMC"]
    unit = 1 if cpu else vw  # batch strides: elements for the CPU kernel, vectors otherwise
    rt.launch(kern, (gx, gy, batch), (cfg["MDIMC"], cfg["NDIMC"], 1), m, n, mp, np_, kp,
              at.base, kp * mp // unit, bp.base, kp * np_ // unit, c.base, c.offset, n, m * n)


def _direct_source(dtype: np.dtype, cpu: bool = False) -> tuple[str, list[Any]]:
    name = ct.key(dtype)
    s, comp = ct.STORAGE[name], ct.COMPUTE[name]
    if dtype.kind == "b":
        acc_t, step, final = "uint", "acc |= (uint)(x & y);", "(uchar)(acc != 0)"
    elif dtype.kind in "iu":
        acc_t, step = ct.WIDE[name], f"acc += ({ct.WIDE[name]})x * ({ct.WIDE[name]})y;"
        final = f"as_{s}(({ct.UNSIGNED[name]})acc)"
    else:
        # PoCL lowers fma() to slow library calls; plain multiply-add there
        acc_t, step, final = comp, ("acc += x * y;" if cpu else "acc = fma(x, y, acc);"), "acc"
    i64 = np.int64
    if cpu:
        # CPUs: one output per work-item straight from the (cached) operands; PoCL runs
        # barrier-free kernels as vectorised loops, the local-memory version below crawls
        src = f"""{ct.pragmas(dtype)}
__kernel __attribute__((reqd_work_group_size(16, 16, 1)))
void gemm_direct(__global {s}* C, const long c_off, const long M, const long N, const long K,
                 __global const {s}* A, const long a_off, const long a_b, const long a_r,
                 const long a_c, __global const {s}* B, const long b_off, const long b_b,
                 const long b_r, const long b_c) {{
    const long n = get_global_id(0), m = get_global_id(1), bt = get_global_id(2);
    if (m >= M || n >= N) return;
    A += a_off + bt * a_b + m * a_r;
    B += b_off + bt * b_b + n * b_c;
    {acc_t} acc = 0;
    for (long k = 0; k < K; ++k) {{
        const {comp} x = {ct.load(dtype, 'A', 'k * a_c')};
        const {comp} y = {ct.load(dtype, 'B', 'k * b_r')};
        {step}
    }}
    {ct.store(dtype, 'C', 'c_off + bt * M * N + m * N + n', final)}
}}
"""
        return src, [None, i64, i64, i64, i64, None, i64, i64, i64, i64, None, i64, i64, i64, i64]
    i64 = np.int64
    src = f"""{ct.pragmas(dtype)}
#define TS 16
__kernel __attribute__((reqd_work_group_size(TS, TS, 1)))
void gemm_direct(__global {s}* C, const long c_off, const long M, const long N, const long K,
                 __global const {s}* A, const long a_off, const long a_b, const long a_r,
                 const long a_c, __global const {s}* B, const long b_off, const long b_b,
                 const long b_r, const long b_c) {{
    const int tx = get_local_id(0), ty = get_local_id(1);
    const long n = get_group_id(0) * TS + tx;
    const long m = get_group_id(1) * TS + ty;
    const long bt = get_group_id(2);
    __local {comp} As[TS][TS + 1];
    __local {comp} Bs[TS][TS + 1];
    A += a_off + bt * a_b;
    B += b_off + bt * b_b;
    {acc_t} acc = 0;
    for (long k0 = 0; k0 < K; k0 += TS) {{
        const long ka = k0 + tx, kb = k0 + ty;
        As[ty][tx] = (m < M && ka < K) ? {ct.load(dtype, 'A', 'm * a_r + ka * a_c')} : 0;
        Bs[ty][tx] = (kb < K && n < N) ? {ct.load(dtype, 'B', 'kb * b_r + n * b_c')} : 0;
        barrier(CLK_LOCAL_MEM_FENCE);
        const int kmax = (int)min((long)TS, K - k0);
        for (int kk = 0; kk < kmax; ++kk) {{
            const {comp} x = As[ty][kk];
            const {comp} y = Bs[kk][tx];
            {step}
        }}
        barrier(CLK_LOCAL_MEM_FENCE);
    }}
    if (m < M && n < N) {{
        {ct.store(dtype, 'C', 'c_off + bt * M * N + m * N + n', final)}
    }}
}}
"""
    return src, [None, i64, i64, i64, i64, None, i64, i64, i64, i64, None, i64, i64, i64, i64]


def direct_into(rt: Runtime, a: CLBuffer, b: CLBuffer, c: CLBuffer) -> None:
    """C (contiguous batch x M x N) = A @ B with the simple strided kernel."""
    batch, m, k = a.shape
    n = b.shape[2]
    cpu = rt.facts["kind"] == "cpu"
    entry = _direct_cache.get((c.dtype, cpu))
    if entry is None:
        entry = _direct_cache[(c.dtype, cpu)] = _direct_source(c.dtype, cpu)
    kern = rt.kernel(entry[0], "gemm_direct", entry[1])
    rt.launch(kern, (_round(n, 16), _round(m, 16), batch), (16, 16, 1), c.base, c.offset, m, n,
              k, a.base, a.offset, a.strides[0], a.strides[1], a.strides[2], b.base, b.offset,
              b.strides[0], b.strides[1], b.strides[2])
