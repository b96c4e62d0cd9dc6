"""``gemm``: float32 matrix multiply throughput (GFLOP/s, % of the device's peak).

Square sizes, plus the GEMMs that LeNet (batch 64, Caffe's MNIST LeNet) and VGG16
(batch 1 at 224x224; fc7 at batch 32) run when convolution is lowered to im2col:
``(N*H_out*W_out) x (C_in*kh*kw) @ (C_in*kh*kw) x C_out``. Sizes of 4096 and above run
on GPU targets only (minutes per call on a 2-core CPU).
"""

from __future__ import annotations

from ..registry import SuiteContext, Task, register_suite
from ._common import matmul_task

SQUARE = (64, 128, 256, 512, 1024, 2048)
SQUARE_GPU = (4096, 8192)
SQUARE_QUICK = (32, 64, 128)

#: (name, M, K, N): im2col GEMM shapes of LeNet (batch 64) and VGG16.
SHAPED = (
    ("lenet conv1", 64 * 24 * 24, 1 * 25, 20),
    ("lenet conv2", 64 * 8 * 8, 20 * 25, 50),
    ("lenet ip1", 64, 50 * 4 * 4, 500),
    ("lenet ip2", 64, 500, 10),
    ("vgg16 conv1_2", 224 * 224, 64 * 9, 64),
    ("vgg16 conv3_2", 56 * 56, 256 * 9, 256),
    ("vgg16 conv5_2", 14 * 14, 512 * 9, 512),
    ("vgg16 fc7 b32", 32, 4096, 4096),
)
SHAPED_QUICK = ("lenet conv2", "lenet ip1")


def _gpu_only(target: object) -> bool | str:
    if getattr(target, "device_class", "cpu") == "gpu":
        return True
    return "size run on GPU targets only"


@register_suite("gemm", description="float32 GEMM throughput: square, LeNet and VGG16 im2col shapes",
                metric="GFLOP/s", plots=("bars", "gemm"))
def tasks(ctx: SuiteContext) -> list[Task]:
    out: list[Task] = []
    for s in SQUARE_QUICK if ctx.quick else SQUARE:
        out.append(matmul_task(s, s, s, name=f"square {s}", group="square", size=s))
    if ctx.has_gpu and not ctx.quick:
        for s in SQUARE_GPU:
            out.append(matmul_task(s, s, s, name=f"square {s}", group="square", size=s,
                                   targets=_gpu_only))
    for name, m, k, n in SHAPED:
        if ctx.quick and name not in SHAPED_QUICK:
            continue
        out.append(matmul_task(m, k, n, name=f"{name} ({m}x{k} @ {k}x{n})",
                               group=name.split()[0], layer=name))
    return out
