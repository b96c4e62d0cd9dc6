"""``nigiri.matlab``: a Sushi2/MATLAB-style facade over the nigiri array API.

``import nigiri.matlab as M``. A ``M.Matrix`` wraps an ``ng.Array`` and behaves like a
MATLAB matrix on whatever backend holds it (built only on the public nigiri API):

- 1-based indexing through ``A.get(...)`` / ``A.set(..., value)`` (``':'``, ``'end'``,
  ``M.colon`` ranges, index vectors, logical masks; one subscript is a column-major
  linear index); ``set`` beyond the size grows ``A`` with zeros.
- Column-major storage: a matrix of size (d1, ..., dn) keeps an ``ng.Array`` of shape
  (dn, ..., d1), so linear indexing, ``reshape`` and ``rand`` follow MATLAB's order,
  and MATLAB's implicit expansion is broadcasting of the stored arrays.
- At least 2-D; trailing singleton dimensions are dropped (``zeros(2, 3, 1)`` is 2x3).
- Classes ``'single'`` (default, float32), ``'double'``, ``'int8'``..``'uint64'``,
  ``'logical'`` with MATLAB's conversion rules (rounding half away, saturation).
- Python operators follow MATLAB: ``*`` and ``@`` are ``mtimes``, ``/`` is
  ``mrdivide``, ``**`` is ``mpower``; elementwise ``.*``, ``./``, ``.^`` are
  ``times``, ``rdivide``, ``power`` (functions and methods). Comparisons give logical
  matrices; ``& | ~`` are logical and/or/not.
- Multiple outputs use ``nargout=``: ``m, n = M.size(A, nargout=2)``,
  ``v, i = M.max(A, [], 2, nargout=2)``, ``r, c = M.find(A, nargout=2)``.

Example (MATLAB in the comments)::

    import nigiri.matlab as M
    A = M.reshape(M.colon(1, 6), 2, 3)      # A = reshape(1:6, 2, 3)  -> [1 3 5; 2 4 6]
    A.get(2, 3)                             # A(2, 3)                 -> 6
    A.get(":", 2)                           # A(:, 2)                 -> [3; 4]
    A.set(3, 4, 9)                          # A(3, 4) = 9             -> grows to 3x4
    m, i = M.max(A, [], 2, nargout=2)       # [m, i] = max(A, [], 2)  (i is 1-based)
    B = M.gpuArray(A) * M.rand(4, 2)        # on the accelerator (single)
    C = M.gather(B)                         # back on the host

Documented differences from MATLAB: new matrices are single unless a class is given;
on a device without float64, results MATLAB gives as double from logical or integer
inputs (``true + true``, ``sum(int8(...))``) are single and index outputs (``find``,
``max`` indices) are int32; results that would be complex in MATLAB (``sqrt(-1)``, negative base
``.^`` fractional exponent) are NaN; singular systems in ``mldivide`` raise ValueError;
``A[...]`` is refused to avoid 0- versus 1-based confusion.
"""

from __future__ import annotations

from ._classes import CLASSES, DEFAULT_CLASS
from .arith import (and_, eq, ge, gt, ldivide, le, lt, minus, ne, not_, or_, plus, power,
                    rdivide, times, uminus, xor)
from .creation import (cast, colon, double, eye, int8, int16, int32, int64, logical, ones,
                       rand, randi, randn, rng, single, uint8, uint16, uint32, uint64,
                       zeros)
from .device import accelerator, gather, gpuArray, isgpuarray
from .elfun import abs, ceil, cos, exp, fix, floor, log, round, sign, sin, sqrt, tan, tanh  # noqa: A004
from .find import find
from .indexing import get, set_
from .io import npy_read, npy_write
from .linalg import ctranspose, mldivide, mpower, mrdivide, mtimes, transpose
from .matrix import Matrix, asmatrix
from .reduce import MaxResult, all, any, argmax, argmin, max, mean, min, prod, sum  # noqa: A004
from .shape import (cat, horzcat, iscolumn, isempty, isrow, isscalar, isvector, length,
                    ndims, numel, permute, ipermute, repmat, reshape, size, squeeze,
                    vertcat)


def class_(a: object) -> str:
    """``class(A)``: the MATLAB class name of ``A``."""
    return asmatrix(a).klass


__all__ = [
    "Matrix", "asmatrix", "MaxResult", "CLASSES", "DEFAULT_CLASS", "class_",
    # creation and classes
    "zeros", "ones", "rand", "randn", "randi", "eye", "colon", "rng", "cast", "single",
    "double", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "logical",
    # sizes and shapes
    "size", "ndims", "numel", "length", "isempty", "isscalar", "isvector", "isrow",
    "iscolumn", "reshape", "permute", "ipermute", "repmat", "cat", "horzcat", "vertcat",
    "squeeze", "transpose", "ctranspose",
    # arithmetic and logic
    "plus", "minus", "times", "rdivide", "ldivide", "power", "uminus", "mtimes",
    "mldivide", "mrdivide", "mpower", "eq", "ne", "lt", "le", "gt", "ge", "and_", "or_",
    "not_", "xor",
    # elementwise functions
    "abs", "sign", "round", "fix", "floor", "ceil", "sqrt", "exp", "log", "sin", "cos",
    "tan", "tanh",
    # reductions and search
    "sum", "mean", "prod", "max", "min", "argmax", "argmin", "any", "all", "find",
    # indexing, devices, files
    "get", "set_", "gpuArray", "gather", "accelerator", "isgpuarray", "npy_read",
    "npy_write",
]
