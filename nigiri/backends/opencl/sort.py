"""Stable sort / argsort (NaN last) and searchsorted.

Sorting is a bitonic network over (key, original index) pairs: comparing the index
on ties makes the order total, so the result is exactly a stable sort (bitonic
networks alone are not stable). Rows are padded to a power of two with entries that
compare after everything. Small stages run in local memory inside one work-group;
stages wider than a work-group run one global kernel per step. Descending order is
the reverse key order with ties still in original order, as the contract defines.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import cltypes as ct
from .buffer import CLBuffer, c_strides, collapse
from .reduce import offset_code
from .runtime import Runtime

__all__ = ["sort_rows", "searchsorted_into"]

_src_cache: dict[tuple, str] = {}


def _less(dtype: np.dtype) -> str:
    if dtype.kind == "f":
        return "((a) < (b) || (isnan(b) && !isnan(a)))"
    return "((a) < (b))"


def _source(kdt: np.dtype, xdt: np.dtype, desc: bool, nrow: int, local: int) -> str:
    kt = ct.COMPUTE[ct.key(kdt)]
    first, second = ("kb", "ka") if desc else ("ka", "kb")
    less = _less(kdt)
    return f"""{ct.pragmas(kdt, xdt)}
#define LESS(a, b) {less}
inline int before({kt} ka, int ia, {kt} kb, int ib, int K) {{
    if (ia >= K) return 0;
    if (ib >= K) return 1;
    if (LESS({first}, {second})) return 1;
    if (LESS({second}, {first})) return 0;
    return ia < ib;
}}
__kernel void init(__global {kt}* keys, __global int* idx, const int P, const int K,
                   __global const {ct.STORAGE[ct.key(xdt)]}* x, const long x_off, const long xs,
                   const long M{''.join(f', const long rd{i}' for i in range(nrow))}
                   {''.join(f', const long rs{i}' for i in range(nrow))}) {{
    const long g = get_global_id(0);
    if (g >= M * P) return;
    const long m = g / P;
    const int j = (int)(g % P);
    idx[g] = j;
    if (j < K) {{
        {offset_code('row', 'm', 'rd', 'rs', nrow, 'x_off')}
        keys[g] = ({kt}){ct.load(xdt, 'x', 'row + j * xs')};
    }} else {{
        keys[g] = 0;
    }}
}}
__kernel void gstep(__global {kt}* keys, __global int* idx, const int P, const int K,
                    const int k, const int j, const long total) {{
    const long t = get_global_id(0);
    if (t >= total) return;
    const long m = t / (P / 2);
    const int r = (int)(t % (P / 2));
    const int i = 2 * j * (r / j) + (r % j);
    const int l = i + j;
    const long gi = m * P + i, gl = m * P + l;
    const {kt} ki = keys[gi], kl = keys[gl];
    const int ii = idx[gi], il = idx[gl];
    const int swap = ((i & k) == 0) ? before(kl, il, ki, ii, K) : before(ki, ii, kl, il, K);
    if (swap) {{ keys[gi] = kl; keys[gl] = ki; idx[gi] = il; idx[gl] = ii; }}
}}
__kernel void lsort(__global {kt}* keys, __global int* idx, const int P, const int K,
                    const int kstage) {{
    __local {kt} lk[{2 * local}];
    __local int li[{2 * local}];
    const int L = {2 * local};
    const int t = get_local_id(0);
    const long start = (long)get_group_id(0) * L;
    const int rowpos = (int)(start % P);
    lk[t] = keys[start + t]; li[t] = idx[start + t];
    lk[t + {local}] = keys[start + t + {local}]; li[t + {local}] = idx[start + t + {local}];
    barrier(CLK_LOCAL_MEM_FENCE);
    int k = kstage == 0 ? 2 : kstage;
    const int klast = kstage == 0 ? L : kstage;
    for (; k <= klast; k <<= 1) {{
        for (int j = min(k, L) >> 1; j > 0; j >>= 1) {{
            const int i = 2 * j * (t / j) + (t % j);
            const int l = i + j;
            const {kt} ki = lk[i], kl = lk[l];
            const int ii = li[i], il = li[l];
            const int swap = (((rowpos + i) & k) == 0) ? before(kl, il, ki, ii, K)
                                                        : before(ki, ii, kl, il, K);
            if (swap) {{ lk[i] = kl; lk[l] = ki; li[i] = il; li[l] = ii; }}
            barrier(CLK_LOCAL_MEM_FENCE);
        }}
    }}
    keys[start + t] = lk[t]; idx[start + t] = li[t];
    keys[start + t + {local}] = lk[t + {local}]; idx[start + t + {local}] = li[t + {local}];
}}
"""


def sort_rows(rt: Runtime, x: CLBuffer, axis: int, desc: bool, alloc: Any
              ) -> tuple[CLBuffer, CLBuffer, tuple[int, ...]]:
    """Sort ``x`` along ``axis``; returns (keys, idx, lead shape): keys (compute dtype)
    and int32 idx as views of shape lead + (K,) with the sorted order along the end."""
    rest = [i for i in range(x.ndim) if i != axis]
    lead = tuple(x.shape[i] for i in rest)
    rshape, (rs,) = collapse(lead, [tuple(x.strides[i] for i in rest)])
    k = x.shape[axis]
    m = 1
    for n in lead:
        m *= n
    p = 1
    while p < k:
        p *= 2
    kdt = np.dtype(np.float32) if x.dtype == np.float16 else x.dtype
    keys = alloc((m * p,), kdt)
    idx = alloc((m * p,), np.dtype(np.int32))
    local = max(1, min(p // 2, 256, rt.max_wg))
    key = (kdt, x.dtype, desc, len(rshape), local)
    src = _src_cache.get(key)
    if src is None:
        src = _src_cache[key] = _source(kdt, x.dtype, desc, len(rshape), local)
    i32, i64 = np.int32, np.int64
    init = rt.kernel(src, "init", [None, None, i32, i32, None, i64, i64, i64]
                     + [i64] * (2 * len(rshape)))
    rt.launch1d(init, m * p, keys.base, idx.base, p, k, x.base, x.offset, x.strides[axis], m,
                *rshape, *rs)
    if p > 1:
        lsort = rt.kernel(src, "lsort", [None, None, i32, i32, i32])
        gstep = rt.kernel(src, "gstep", [None, None, i32, i32, i32, i32, i64])
        span = 2 * local
        groups = m * p // span
        rt.launch(lsort, (groups * local,), (local,), keys.base, idx.base, p, k, 0)
        kk = 2 * span
        while kk <= p:
            j = kk // 2
            while j >= span:
                rt.launch1d(gstep, m * p // 2, keys.base, idx.base, p, k, kk, j, m * p // 2)
                j //= 2
            rt.launch(lsort, (groups * local,), (local,), keys.base, idx.base, p, k, kk)
            kk *= 2
    strides = c_strides(lead + (p,))
    shape = lead + (k,)
    return keys.view(0, shape, strides), idx.view(0, shape, strides), lead


def _ss_source(dt: np.dtype, side: str) -> str:
    c = ct.COMPUTE[ct.key(dt)]
    less = _less(dt)
    cond = "LESS(v, key)" if side == "left" else "!LESS(key, v)"
    return f"""{ct.pragmas(dt)}
#define LESS(a, b) {less}
__kernel void ss(__global long* out, __global const {ct.STORAGE[ct.key(dt)]}* s,
                 const long s_off, const long s_st, const long n,
                 __global const {ct.STORAGE[ct.key(dt)]}* q, const long q_off, const long total) {{
    const long g = get_global_id(0);
    if (g >= total) return;
    const {c} key = {ct.load(dt, 'q', 'q_off + g')};
    long lo = 0, hi = n;
    while (lo < hi) {{
        const long mid = (lo + hi) / 2;
        const {c} v = {ct.load(dt, 's', 's_off + mid * s_st')};
        if ({cond}) lo = mid + 1; else hi = mid;
    }}
    out[g] = lo;
}}
"""


def searchsorted_into(rt: Runtime, sorted_: CLBuffer, queries: CLBuffer, side: str,
                      out: CLBuffer) -> None:
    """``out[i] = insertion point of queries[i]`` (queries and out contiguous)."""
    key = ("ss", sorted_.dtype, side)
    src = _src_cache.get(key)
    if src is None:
        src = _src_cache[key] = _ss_source(sorted_.dtype, side)
    i64 = np.int64
    kern = rt.kernel(src, "ss", [None, None, i64, i64, i64, None, i64, i64])
    rt.launch1d(kern, out.size, out.base, sorted_.base, sorted_.offset, sorted_.strides[0],
                sorted_.shape[0], queries.base, queries.offset, out.size)
