"""Matrix products through cuBLAS with an explicit compute type per call.

We call ``cublasGemmEx`` / ``cublasGemmStridedBatchedEx`` ourselves rather than
``cupy.matmul`` so that precision is decided per call: float32 and complex64 run with
``CUBLAS_COMPUTE_32F`` (IEEE float32) unless TF32 is allowed
(``nigiri.use(allow_tf32=True)`` / ``NIGIRI_ALLOW_TF32=1``), then with
``CUBLAS_COMPUTE_32F_FAST_TF32``. CuPy's own matmul reads ``CUPY_TF32`` once per
process instead. Operands are passed in place when their strides are BLAS-compatible
(row- or column-major with a leading dimension, e.g. transposed or sliced views);
others are copied once. Integer and bool products use CuPy's exact integer kernels.
"""

from __future__ import annotations

import math
from typing import Any

import cupy as cp
import numpy as np
from cupy_backends.cuda.api import runtime
from cupy_backends.cuda.libs import cublas

from ...arrays.device import tf32_allowed
from ._layout import blas_layout

__all__ = ["matmul", "blas_layout", "bias_grad", "add_bias"]

# y[n, o, ...] += b[o] on contiguous NCHW with flat 32/64-bit index math (CuPy's
# broadcasting kernel does one 64-bit div/mod per axis and is ~1.6x slower here)
_ADD_BIAS = cp.ElementwiseKernel(
    "raw T b, int64 inner, int64 channels", "T y",
    "y = y + b[(i / inner) % channels]", "nigiri_add_bias")
_ADD_BIAS32 = cp.ElementwiseKernel(
    "raw T b, uint32 inner, uint32 channels", "T y",
    "y = y + b[((unsigned int)i / inner) % channels]", "nigiri_add_bias32")

# cudaDataType_t and cublasComputeType_t values (CUDA >= 11), from CuPy when it names them
_CUDA_TYPE = {np.dtype(np.float16): getattr(runtime, "CUDA_R_16F", 2),
              np.dtype(np.float32): getattr(runtime, "CUDA_R_32F", 0),
              np.dtype(np.float64): getattr(runtime, "CUDA_R_64F", 1),
              np.dtype(np.complex64): getattr(runtime, "CUDA_C_32F", 4),
              np.dtype(np.complex128): getattr(runtime, "CUDA_C_64F", 5)}
_COMPUTE_32F = getattr(cublas, "CUBLAS_COMPUTE_32F", 68)
_COMPUTE_TF32 = getattr(cublas, "CUBLAS_COMPUTE_32F_FAST_TF32", 77)
_COMPUTE_64F = getattr(cublas, "CUBLAS_COMPUTE_64F", 70)
_ALGO = getattr(cublas, "CUBLAS_GEMM_DEFAULT", -1)

# alpha = 1 and beta = 0 in host memory, in the scalar type of each compute type
_SCALARS: dict[np.dtype, tuple[np.ndarray, np.ndarray]] = {}
for _dt, _st in ((np.float16, np.float32), (np.float32, np.float32), (np.float64, np.float64),
                 (np.complex64, np.complex64), (np.complex128, np.complex128)):
    _SCALARS[np.dtype(_dt)] = (np.ones(1, _st), np.zeros(1, _st))
_PTRS = {dt: (one.ctypes.data, zero.ctypes.data) for dt, (one, zero) in _SCALARS.items()}


def _operand(x: Any) -> tuple[Any, int, int]:
    lay = blas_layout(x.shape, x.strides, x.itemsize)
    if lay is None:
        x = cp.ascontiguousarray(x)
        lay = (0, max(x.shape[1], 1))
    return x, lay[0], lay[1]


def _compute(dtype: np.dtype, tf32: bool | None) -> int:
    if dtype.itemsize == 8 and dtype.kind == "f" or dtype == np.complex128:
        return _COMPUTE_64F
    if dtype.kind in "fc" and dtype != np.float16 and (tf32_allowed() if tf32 is None else tf32):
        return _COMPUTE_TF32
    return _COMPUTE_32F


def matmul(x1: Any, x2: Any, tf32: bool | None = None) -> Any:
    """The contract's ``matmul`` (ndim >= 2 on both sides, same dtype). ``tf32``
    overrides the user's TF32 setting (nn kernels pass False for reductions that
    must stay IEEE float32)."""
    dtype = x1.dtype
    ctype = _CUDA_TYPE.get(dtype)
    if ctype is None:  # integers and bool: CuPy's exact kernels
        return cp.matmul(x1, x2)
    m, k = x1.shape[-2:]
    n = x2.shape[-1]
    if x1.ndim == 2 and x2.ndim == 2:
        out = cp.empty((m, n), dtype)
        if m and n:
            if k == 0:
                out.fill(0)
            else:
                _gemm(x1, x2, out, m, n, k, dtype, ctype, tf32)
        return out
    return _batched(x1, x2, m, n, k, dtype, ctype, tf32)


def _gemm(a: Any, b: Any, out: Any, m: int, n: int, k: int, dtype: np.dtype, ctype: int,
          tf32: bool | None) -> None:
    # row-major C = A @ B is column-major C^T = B^T @ A^T
    a, ta, lda = _operand(a)
    b, tb, ldb = _operand(b)
    one, zero = _PTRS[dtype]
    cublas.gemmEx(cp.cuda.device.get_cublas_handle(), tb, ta, n, m, k, one,
                  b.data.ptr, ctype, ldb, a.data.ptr, ctype, lda, zero,
                  out.data.ptr, ctype, n, _compute(dtype, tf32), _ALGO)


def _batch_operand(x: Any, batch: tuple[int, ...]) -> tuple[Any, int, int, int]:
    """(matrix stack, transpose flag, ld, stride between matrices in elements)."""
    r, c = x.shape[-2:]
    if math.prod(x.shape[:-2]) == 1:  # one matrix broadcast over the batch: stride 0
        mat, t, ld = _operand(x.reshape(r, c))
        return mat, t, ld, 0
    if x.shape[:-2] != batch or not x.flags.c_contiguous:
        x = cp.ascontiguousarray(cp.broadcast_to(x, batch + (r, c)))
    return x, 0, max(c, 1), r * c


def _batched(x1: Any, x2: Any, m: int, n: int, k: int, dtype: np.dtype, ctype: int,
             tf32: bool | None) -> Any:
    batch = tuple(np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2]))
    count = math.prod(batch)
    out = cp.empty(batch + (m, n), dtype)
    if count == 0 or m == 0 or n == 0:
        return out
    if k == 0:
        out.fill(0)
        return out
    a, ta, lda, sa = _batch_operand(x1, batch)
    b, tb, ldb, sb = _batch_operand(x2, batch)
    one, zero = _PTRS[dtype]
    cublas.gemmStridedBatchedEx(
        cp.cuda.device.get_cublas_handle(), tb, ta, n, m, k, one,
        b.data.ptr, ctype, ldb, sb, a.data.ptr, ctype, lda, sa, zero,
        out.data.ptr, ctype, n, m * n, count, _compute(dtype, tf32), _ALGO)
    return out


def bias_grad(dy: Any) -> Any:
    """db[o] = dy.sum(axis=(0, 2, 3)) for contiguous NCHW ``dy``, as two strict-FP32
    GEMVs (bandwidth-bound; faster than a generic strided reduction)."""
    n, o = dy.shape[:2]
    hw = dy.size // max(n * o, 1)
    if dy.size == 0:
        return cp.zeros(o, dy.dtype)
    ones = cp.ones((hw, 1), dy.dtype)
    per_sample = matmul(cp.ascontiguousarray(dy).reshape(n * o, hw), ones, tf32=False)
    return matmul(cp.ones((1, n), dy.dtype), per_sample.reshape(n, o), tf32=False).reshape(o)


def add_bias(y: Any, b: Any) -> Any:
    """In place: ``y += b`` broadcast along axis 1 of the contiguous array ``y``."""
    if y.size:
        inner = y.size // (y.shape[0] * y.shape[1])
        if y.size < 2**31:
            _ADD_BIAS32(cp.ascontiguousarray(b), np.uint32(inner), np.uint32(y.shape[1]), y)
        else:
            _ADD_BIAS(cp.ascontiguousarray(b), np.int64(inner), np.int64(y.shape[1]), y)
    return y
