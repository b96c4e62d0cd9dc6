"""The Array API ``linalg`` extension namespace (``nigiri.linalg``)."""

from .arrays.linalg import (EighResult, QRResult, SlogdetResult, SVDResult, cholesky,
                            cross, det, diagonal, eigh, eigvalsh, inv, matmul, matrix_norm,
                            matrix_power, matrix_rank, matrix_transpose, outer, pinv, qr,
                            slogdet, solve, svd, svdvals, tensordot, trace, vecdot,
                            vector_norm)

__all__ = [
    "cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "matmul",
    "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose", "outer", "pinv",
    "qr", "slogdet", "solve", "svd", "svdvals", "tensordot", "trace", "vecdot",
    "vector_norm", "EighResult", "QRResult", "SlogdetResult", "SVDResult",
]
