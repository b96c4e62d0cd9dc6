"""Integer-array indexing (gather, scatter) and nonzero on strided buffers.

``gather``/``scatter`` index the leading ``k`` axes with ``k`` int64 index buffers
(made contiguous first) and walk the trailing axes through their strides, so views
are read and written in place. ``nonzero`` flags non-zero elements, scans the flags
on the device and writes the coordinates; the count is the one value that must come
back to the host to size the result (counted as a host round trip).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import cltypes as ct
from .buffer import CLBuffer, collapse
from .reduce import offset_code
from .runtime import Runtime

__all__ = ["gather_into", "scatter_from", "nonzero_coords"]

_src_cache: dict[tuple, tuple[str, list[Any]]] = {}


def _gs_source(dt: np.dtype, k: int, nt: int, nv: int, write: bool) -> tuple[str, list[Any]]:
    s = ct.STORAGE[ct.key(dt)]
    i64 = np.int64
    params = [f"__global {'' if write else 'const '}{s}* x", "const long x_off"]
    argt: list[Any] = [None, i64]
    params += [f"__global const long* i{j}" for j in range(k)] + [f"const long xs{j}"
                                                                  for j in range(k)]
    argt += [None] * k + [i64] * k
    params += [f"const long td{j}" for j in range(nt)] + [f"const long ts{j}" for j in range(nt)]
    argt += [i64] * (2 * nt)
    params += [f"__global {'const ' if write else ''}{s}* v", "const long v_off"]
    argt += [None, i64]
    params += [f"const long vd{j}" for j in range(nv)] + [f"const long vs{j}" for j in range(nv)]
    argt += [i64] * (2 * nv)
    params += ["const long inner", "const long total"]
    argt += [i64, i64]
    picks = " + ".join(f"i{j}[p] * xs{j}" for j in range(k)) or "0"
    move = "x[xo] = v[vo];" if write else "v[vo] = x[xo];"
    src = f"""{ct.pragmas(dt)}
__kernel void gs({', '.join(params)}) {{
    const long g = get_global_id(0);
    if (g >= total) return;
    const long p = g / inner;
    const long q = g % inner;
    {offset_code('xt', 'q', 'td', 'ts', nt, 'x_off')}
    const long xo = xt + {picks};
    {offset_code('vo', 'g', 'vd', 'vs', nv, 'v_off')}
    {move}
}}
"""
    return src, argt


def _run_gs(rt: Runtime, x: CLBuffer, indices: list[CLBuffer], v: CLBuffer, write: bool) -> None:
    k = len(indices)
    total = v.size
    if total == 0:
        return
    tshape, (tstr,) = collapse(x.shape[k:], [x.strides[k:]])
    inner = 1
    for n in x.shape[k:]:
        inner *= n
    vshape, (vstr,) = collapse(v.shape, [v.strides])
    key = ("gs", x.dtype, k, len(tshape), len(vshape), write)
    entry = _src_cache.get(key)
    if entry is None:
        entry = _src_cache[key] = _gs_source(x.dtype, k, len(tshape), len(vshape), write)
    kern = rt.kernel(entry[0], "gs", entry[1])
    args = [x.base, x.offset] + [i.base for i in indices] + list(x.strides[:k])
    # index buffers are contiguous from their own offset: fold it into the pointer arithmetic
    if any(i.offset for i in indices):
        raise ValueError("internal: index buffers must start at offset 0")
    args += [*tshape, *tstr, v.base, v.offset, *vshape, *vstr, inner, total]
    rt.launch1d(kern, total, *args)


def gather_into(rt: Runtime, x: CLBuffer, indices: list[CLBuffer], out: CLBuffer) -> None:
    """``out = x[i0, ..., ik-1]`` (indices contiguous at offset 0)."""
    _run_gs(rt, x, indices, out, write=False)


def scatter_from(rt: Runtime, x: CLBuffer, indices: list[CLBuffer], values: CLBuffer) -> None:
    """``x[i0, ..., ik-1] = values`` in place."""
    _run_gs(rt, x, indices, values, write=True)


def _nz_source(nd: int) -> str:
    return f"""
__kernel void nzwrite(__global const long* incl, const long n,
                      {''.join(f'__global long* o{j}, ' for j in range(nd))}
                      {', '.join(f'const long d{j}' for j in range(nd))}) {{
    const long g = get_global_id(0);
    if (g >= n) return;
    const long c = incl[g];
    if (c == (g == 0 ? 0 : incl[g - 1])) return;
    const long pos = c - 1;
    long r = g;
    {''.join(f'o{j}[pos] = r % d{j}; r /= d{j}; ' for j in range(nd - 1, -1, -1))}
}}
"""


def nonzero_coords(rt: Runtime, incl: CLBuffer, shape: tuple[int, ...], alloc: Any,
                   count_round_trip: Any) -> tuple[CLBuffer, ...]:
    """Coordinates from ``incl``, the inclusive int64 scan of the non-zero flags."""
    n = incl.size
    nd = len(shape)
    if n == 0:
        return tuple(alloc((0,), np.dtype(np.int64)) for _ in shape)
    host = np.empty(1, np.int64)
    rt.cl.enqueue_copy(rt.queue, host, incl.base, src_offset=(incl.offset + n - 1) * 8)
    count_round_trip()
    count = int(host[0])
    outs = tuple(alloc((count,), np.dtype(np.int64)) for _ in shape)
    if count == 0:
        return outs
    key = ("nz", nd)
    src = _src_cache.get(key)
    if src is None:
        src = _src_cache[key] = (_nz_source(nd), [])
    kern = rt.kernel(src[0], "nzwrite", [None, np.int64] + [None] * nd + [np.int64] * nd)
    rt.launch1d(kern, n, incl.base, n, *[o.base for o in outs], *shape)
    return outs
