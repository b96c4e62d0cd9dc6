"""Reductions (sum, prod, max, min, any, all) and arg-reductions on strided buffers.

The reduced axes are moved last and each group (kept axes, reduced axes) is
collapsed separately; one generated kernel handles any strides. Two schedules:
one work-item per output (few reduced elements, many outputs) or one work-group per
output with a local-memory tree (long reductions), so both shapes keep the device busy.
Integer sums and products accumulate in unsigned arithmetic (wrap-around, no C UB).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import cltypes as ct
from .buffer import CLBuffer, collapse
from .runtime import Runtime

__all__ = ["reduce_into", "arg_reduce_into", "schedule", "offset_code"]

_src_cache: dict[tuple, tuple[str, list[Any]]] = {}


def offset_code(var: str, index: str, dims: str, strides: str, n: int, base: str) -> str:
    """C statements: ``long var = base + sum(coord_k(index) * strides_k)`` for the C-order
    coordinates of ``index`` over ``n`` axes named ``{dims}{k}``/``{strides}{k}``."""
    if n == 0:
        return f"long {var} = {base};"
    lines = [f"long {var} = {base};", "{", f"    long r_ = {index};"]
    for k in range(n - 1, 0, -1):
        lines.append(f"    {var} += (r_ % {dims}{k}) * {strides}{k}; r_ /= {dims}{k};")
    lines.append(f"    {var} += r_ * {strides}0;")
    lines.append("}")
    return "\n    ".join(lines)


def schedule(rt: Runtime, m: int, k: int) -> int:
    """Work-group width per output: 1 (serial) or a power of two."""
    if k <= 32 or (m >= 2048 and k <= 512):
        return 1
    w = 1
    while w < k and w < 256:
        w *= 2
    return min(w, rt.max_wg)


def _groups(x: CLBuffer, axes: tuple[int, ...]) -> tuple[tuple, tuple, tuple, tuple]:
    keep = [i for i in range(x.ndim) if i not in axes]
    oshape, (ostr,) = collapse(tuple(x.shape[i] for i in keep), [tuple(x.strides[i] for i in keep)])
    ishape, (istr,) = collapse(tuple(x.shape[i] for i in axes), [tuple(x.strides[i] for i in axes)])
    return oshape, ostr, ishape, istr


_COMBINE = {"sum": "acc + v", "prod": "acc * v", "any": "acc | v", "all": "acc & v"}


def _ident_max(dtype: np.dtype, op: str) -> str:
    if dtype.kind == "f":
        return "-INFINITY" if op == "max" else "INFINITY"
    if dtype.kind == "b":
        return "0" if op == "max" else "1"
    info = np.iinfo(dtype)
    v = info.min if op == "max" else info.max
    if dtype == np.int64 and v == info.min:
        return "(-9223372036854775807L - 1)"
    suffix = "UL" if dtype.kind == "u" else "L"
    return f"({ct.COMPUTE[ct.key(dtype)]})({v}{suffix})"


def _reduce_source(op: str, xdt: np.dtype, odt: np.dtype, no: int, ni: int, w: int
                   ) -> tuple[str, list[Any]]:
    xk = ct.key(xdt)
    if op in ("sum", "prod"):
        acc_t = ct.COMPUTE[ct.key(odt)] if odt.kind == "f" else ct.WIDE[ct.key(odt)]
        ident = "0" if op == "sum" else "1"
        conv = f"({acc_t})({ct.convert(xdt, odt, 'xv')})"
        combine = _COMBINE[op]
        final = ct.convert(odt, odt, "acc") if odt.kind == "f" else (
            f"as_{ct.STORAGE[ct.key(odt)]}(({ct.UNSIGNED[ct.key(odt)]})acc)"
            if odt.kind != "b" else "(uchar)(acc != 0)")
    elif op in ("any", "all"):
        acc_t = "uchar"
        ident = "0" if op == "any" else "1"
        conv = "(uchar)(xv != 0)"
        combine = _COMBINE[op]
        final = "acc"
    else:
        acc_t = ct.COMPUTE[xk]
        ident = _ident_max(xdt, op)
        conv = "xv"
        cmp = ">" if op == "max" else "<"
        if xdt.kind == "f":
            combine = f"(isnan(acc) ? acc : ((isnan(v) || v {cmp} acc) ? v : acc))"
        else:
            combine = f"(v {cmp} acc ? v : acc)"
        final = "acc"
    params = ["__global " + ct.STORAGE[ct.key(odt)] + "* out", "__global const "
              + ct.STORAGE[xk] + "* x", "const long x_off", "const long M", "const long K"]
    params += [f"const long od{i}" for i in range(no)] + [f"const long os{i}" for i in range(no)]
    params += [f"const long id{i}" for i in range(ni)] + [f"const long is{i}" for i in range(ni)]
    argt = [None, None, np.int64, np.int64, np.int64] + [np.int64] * (2 * no + 2 * ni)
    if w == 1:
        head = "const long m = get_global_id(0);\n    if (m >= M) return;\n    const long lid = 0;"
    else:
        head = "const long m = get_group_id(0);\n    const long lid = get_local_id(0);"
    tree = ""
    if w > 1:
        tree = f"""
    __local {acc_t} sh[{w}];
    sh[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = {w // 2}; s > 0; s >>= 1) {{
        if (lid < s) {{ {acc_t} v = sh[lid + s]; acc = sh[lid]; sh[lid] = {combine}; }}
        barrier(CLK_LOCAL_MEM_FENCE);
    }}
    if (lid != 0) return;
    acc = sh[0];"""
    src = f"""{ct.pragmas(xdt, odt)}
__kernel void red({', '.join(params)}) {{
    {head}
    {offset_code('base', 'm', 'od', 'os', no, 'x_off')}
    {acc_t} acc = {ident};
    for (long k = lid; k < K; k += {w}) {{
        {offset_code('off', 'k', 'id', 'is', ni, 'base')}
        const {ct.COMPUTE[xk]} xv = {ct.load(xdt, 'x', 'off')};
        const {acc_t} v = {conv};
        acc = {combine};
    }}{tree}
    {ct.store(odt, 'out', 'm', final)}
}}
"""
    return src, argt


def reduce_into(rt: Runtime, op: str, x: CLBuffer, axes: tuple[int, ...], out: CLBuffer) -> None:
    """Reduce ``x`` over ``axes`` into the contiguous ``out`` (size = kept elements)."""
    oshape, ostr, ishape, istr = _groups(x, axes)
    m = out.size
    k = 1
    for n in ishape:
        k *= n
    if m == 0:
        return
    w = schedule(rt, m, k)
    key = ("red", op, x.dtype, out.dtype, len(oshape), len(ishape), w)
    entry = _src_cache.get(key)
    if entry is None:
        entry = _src_cache[key] = _reduce_source(op, x.dtype, out.dtype, len(oshape),
                                                 len(ishape), w)
    kern = rt.kernel(entry[0], "red", entry[1])
    args = [out.base, x.base, x.offset, m, k, *oshape, *ostr, *ishape, *istr]
    if w == 1:
        rt.launch1d(kern, m, *args)
    else:
        rt.launch(kern, (m * w,), (w,), *args)


def _arg_source(op: str, xdt: np.dtype, no: int, ni: int, w: int) -> tuple[str, list[Any]]:
    c = ct.COMPUTE[ct.key(xdt)]
    gt, lt = (">", "<") if op == "argmax" else ("<", ">")
    nan = ("if (isnan(a)) return isnan(b) ? ia < ib : 1;\n    if (isnan(b)) return 0;"
           if xdt.kind == "f" else "")
    params = ["__global long* out", f"__global const {ct.STORAGE[ct.key(xdt)]}* x",
              "const long x_off", "const long M", "const long K"]
    params += [f"const long od{i}" for i in range(no)] + [f"const long os{i}" for i in range(no)]
    params += [f"const long id{i}" for i in range(ni)] + [f"const long is{i}" for i in range(ni)]
    argt = [None, None, np.int64, np.int64, np.int64] + [np.int64] * (2 * no + 2 * ni)
    if w == 1:
        head = "const long m = get_global_id(0);\n    if (m >= M) return;\n    const long lid = 0;"
        tree = ""
    else:
        head = "const long m = get_group_id(0);\n    const long lid = get_local_id(0);"
        tree = f"""
    __local {c} sv[{w}];
    __local long si[{w}];
    sv[lid] = bv; si[lid] = bi;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = {w // 2}; s > 0; s >>= 1) {{
        if (lid < s && better(sv[lid + s], si[lid + s], sv[lid], si[lid])) {{
            sv[lid] = sv[lid + s]; si[lid] = si[lid + s];
        }}
        barrier(CLK_LOCAL_MEM_FENCE);
    }}
    if (lid != 0) return;
    bi = si[0];"""
    src = f"""{ct.pragmas(xdt)}
inline int better({c} a, long ia, {c} b, long ib) {{
    if (ib < 0) return 1;
    if (ia < 0) return 0;
    {nan}
    if (a {gt} b) return 1;
    if (a {lt} b) return 0;
    return ia < ib;
}}
__kernel void argred({', '.join(params)}) {{
    {head}
    {offset_code('base', 'm', 'od', 'os', no, 'x_off')}
    {c} bv = 0;
    long bi = -1;
    for (long k = lid; k < K; k += {w}) {{
        {offset_code('off', 'k', 'id', 'is', ni, 'base')}
        const {c} v = {ct.load(xdt, 'x', 'off')};
        if (better(v, k, bv, bi)) {{ bv = v; bi = k; }}
    }}{tree}
    out[m] = bi < 0 ? 0 : bi;
}}
"""
    return src, argt


def arg_reduce_into(rt: Runtime, op: str, x: CLBuffer, axes: tuple[int, ...],
                    out: CLBuffer) -> None:
    """argmax/argmin of ``x`` over ``axes`` (C-order index within them) into ``out``."""
    keep = [i for i in range(x.ndim) if i not in axes]
    oshape, (ostr,) = collapse(tuple(x.shape[i] for i in keep),
                               [tuple(x.strides[i] for i in keep)])
    ishape = tuple(x.shape[i] for i in axes)
    istr = tuple(x.strides[i] for i in axes)
    m = out.size
    k = 1
    for n in ishape:
        k *= n
    if m == 0:
        return
    w = schedule(rt, m, k)
    key = ("arg", op, x.dtype, len(oshape), len(ishape), w)
    entry = _src_cache.get(key)
    if entry is None:
        entry = _src_cache[key] = _arg_source(op, x.dtype, len(oshape), len(ishape), w)
    kern = rt.kernel(entry[0], "argred", entry[1])
    args = [out.base, x.base, x.offset, m, k, *oshape, *ostr, *ishape, *istr]
    if w == 1:
        rt.launch1d(kern, m, *args)
    else:
        rt.launch(kern, (m * w,), (w,), *args)
