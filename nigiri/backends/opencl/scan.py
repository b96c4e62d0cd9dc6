"""Inclusive scans (cumsum, cumprod) along one axis of a strided buffer.

Rows are the other axes (collapsed). Many short rows: one work-item per row. Long
rows: one work-group per row; each work-item scans a contiguous chunk, the chunk
totals are scanned in local memory, then each chunk is rescanned with its offset.
Integer scans run in unsigned arithmetic (wrap-around without C UB).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import cltypes as ct
from .buffer import CLBuffer, collapse
from .reduce import offset_code, schedule
from .runtime import Runtime

__all__ = ["scan_into"]

_src_cache: dict[tuple, tuple[str, list[Any]]] = {}


def _source(op: str, xdt: np.dtype, odt: np.dtype, no: int, w: int) -> tuple[str, list[Any]]:
    ok = ct.key(odt)
    acc_t = ct.COMPUTE[ok] if odt.kind == "f" else ct.WIDE[ok]
    ident = "0" if op == "cumsum" else "1"
    sym = "+" if op == "cumsum" else "*"
    load = f"({acc_t})({ct.convert(xdt, odt, ct.load(xdt, 'x', 'x_row + k * xs'))})"
    if odt.kind == "f":
        final = "run"
    elif odt.kind == "b":
        final = "(uchar)(run != 0)"
    else:
        final = f"as_{ct.STORAGE[ok]}(({ct.UNSIGNED[ok]})run)"
    params = [f"__global {ct.STORAGE[ok]}* out", "const long o_off", "const long os",
              f"__global const {ct.STORAGE[ct.key(xdt)]}* x", "const long x_off",
              "const long xs", "const long M", "const long K"]
    params += [f"const long rd{i}" for i in range(no)]
    params += [f"const long rx{i}" for i in range(no)] + [f"const long ro{i}" for i in range(no)]
    argt = [None, np.int64, np.int64, None, np.int64, np.int64, np.int64, np.int64]
    argt += [np.int64] * (3 * no)
    store = ct.store(odt, "out", "o_row + k * os", final)
    if w == 1:
        body = f"""
    const long m = get_global_id(0);
    if (m >= M) return;
    {offset_code('x_row', 'm', 'rd', 'rx', no, 'x_off')}
    {offset_code('o_row', 'm', 'rd', 'ro', no, 'o_off')}
    {acc_t} run = {ident};
    for (long k = 0; k < K; ++k) {{ run = run {sym} {load}; {store} }}"""
    else:
        body = f"""
    const long m = get_group_id(0);
    const long lid = get_local_id(0);
    {offset_code('x_row', 'm', 'rd', 'rx', no, 'x_off')}
    {offset_code('o_row', 'm', 'rd', 'ro', no, 'o_off')}
    const long chunk = (K + {w - 1}) / {w};
    const long k0 = lid * chunk;
    const long k1 = min(K, k0 + chunk);
    __local {acc_t} sh[{w}];
    {acc_t} run = {ident};
    for (long k = k0; k < k1; ++k) run = run {sym} {load};
    sh[lid] = run;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid == 0) {{
        {acc_t} tot = {ident};
        for (int t = 0; t < {w}; ++t) {{ {acc_t} v = sh[t]; sh[t] = tot; tot = tot {sym} v; }}
    }}
    barrier(CLK_LOCAL_MEM_FENCE);
    run = sh[lid];
    for (long k = k0; k < k1; ++k) {{ run = run {sym} {load}; {store} }}"""
    src = f"""{ct.pragmas(xdt, odt)}
__kernel void scan({', '.join(params)}) {{{body}
}}
"""
    return src, argt


def scan_into(rt: Runtime, op: str, x: CLBuffer, axis: int, out: CLBuffer) -> None:
    """``out`` (same shape as ``x``, any strides) = inclusive scan of ``x`` along ``axis``."""
    rest = [i for i in range(x.ndim) if i != axis]
    rshape, (rx, ro) = collapse(tuple(x.shape[i] for i in rest),
                                [tuple(x.strides[i] for i in rest),
                                 tuple(out.strides[i] for i in rest)])
    k = x.shape[axis]
    m = 1
    for n in rshape:
        m *= n
    if m == 0 or k == 0:
        return
    w = schedule(rt, m, k)
    key = (op, x.dtype, out.dtype, len(rshape), w)
    entry = _src_cache.get(key)
    if entry is None:
        entry = _src_cache[key] = _source(op, x.dtype, out.dtype, len(rshape), w)
    kern = rt.kernel(entry[0], "scan", entry[1])
    args = [out.base, out.offset, out.strides[axis], x.base, x.offset, x.strides[axis], m, k,
            *rshape, *rx, *ro]
    if w == 1:
        rt.launch1d(kern, m, *args)
    else:
        rt.launch(kern, (m * w,), (w,), *args)
