"""Per-component errors of the LeNet conv backward passes on a CUDA machine.

``python3 bench/conv_backward_diag.py`` (needs cupy and torch with CUDA): for
``lenet conv1``/``conv2`` of ``bench/suites/layers.py`` it prints, per gradient (dx, dW,
db), the max error against the float64 numpy composite, and that error in units of
``eps32 * sum|terms|`` (the float64 backward on |inputs|), for ng:numpy float32,
ng:cupy with and without fast paths (cuDNN or im2col+cuBLAS), and torch:cuda with
cuDNN (TF32 off) and with cuDNN disabled. Correct float32 stays at a few units;
TF32 or float16 down-conversion shows up as hundreds to thousands.
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import nigiri as ng  # noqa: E402
from nigiri.nn import functional as F  # noqa: E402

import bench.suites.layers as L  # noqa: E402

EPS = float(np.finfo(np.float32).eps)


def grads(spec, host, device, fast=True, f64=False, absval=False):
    hs = [np.abs(h) if absval and h.dtype.kind == "f" else h for h in host]
    a = [ng.asarray(h.astype(np.float64) if f64 and h.dtype.kind == "f" else h, device=device) for h in hs]
    with F.use_fast_paths(fast):
        return [np.asarray(ng.to_numpy(g), np.float64) for g in L._backward_ng(spec, a)()]


def report(tag, gs, ref, absref):
    for i, (g, r, ar) in enumerate(zip(gs, ref, absref)):
        err = np.abs(g - r)
        k = int(np.argmax(err))
        print(f"{tag:22s} comp{i} {g.shape} maxerr {err.max():.3g} max|ref| {np.abs(r).max():.3g}"
              f" err/(eps*abssum) max {(err / np.maximum(ar, 1e-30)).max() / EPS:.3g}"
              f" at worst: got {g.reshape(-1)[k]:.6g} ref {r.reshape(-1)[k]:.6g} abssum {ar.reshape(-1)[k]:.4g}")


def main():
    import torch
    be = ng.asarray(np.zeros(1, np.float32), device="cupy:0")._be
    print("cudnn_conv:", getattr(be, "cudnn_conv", None), "torch", torch.__version__,
          "cudnn", torch.backends.cudnn.version())
    for name in ("lenet conv1", "lenet conv2"):
        spec = next(s for s in L.SPECS if s.name == name)
        host = L._host(spec)
        ref = grads(spec, host, "numpy", fast=False, f64=True)
        absref = grads(spec, host, "numpy", fast=False, f64=True, absval=True)
        report("ng:numpy f32", grads(spec, host, "numpy"), ref, absref)
        report("ng:cupy fast", grads(spec, host, "cupy:0"), ref, absref)
        report("ng:cupy composite", grads(spec, host, "cupy:0", fast=False), ref, absref)
        if getattr(be, "cudnn_conv", None) is not None:
            print("fallbacks:", be.cudnn_conv.fallbacks)
        for mode in ("legacy-flags", "cudnn-off"):
            torch.backends.cudnn.allow_tf32 = False
            torch.backends.cuda.matmul.allow_tf32 = False
            t = [torch.tensor(h, device="cuda") for h in host]
            for v in t[:-1]:
                if v.dtype.is_floating_point:
                    v.requires_grad_(True)
            with torch.backends.cudnn.flags(enabled=(mode != "cudnn-off"), allow_tf32=False):
                fwd, wrt = L._torch_fns(spec, t)
                y = fwd()
                gs = torch.autograd.grad(y, wrt, t[-1])
            report(f"torch {mode}", [g.detach().double().cpu().numpy() for g in gs], ref, absref)
        for attr in ("fp32_precision",):
            for mod in ("torch.backends.cudnn.conv", "torch.backends.cuda.matmul", "torch.backends"):
                try:
                    print(mod, attr, eval(mod + "." + attr))
                except Exception as exc:
                    print(mod, attr, "n/a", type(exc).__name__)


if __name__ == "__main__":
    main()
