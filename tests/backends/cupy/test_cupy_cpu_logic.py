"""The cupy backend without a GPU (CI): the unavailable paths ("cupy not installed",
"no CUDA device", simulated) and the backend's pure logic (kernel plans, shapes, BLAS
layouts, the cuDNN library search)."""

from __future__ import annotations

import importlib
import sys
import types

import numpy as np
import pytest

import nigiri
from nigiri import backends as registry
from nigiri.arrays.optable import OPS
from nigiri.backends.cupy import _cudnn_loader, _ew_plan, _runtime
from nigiri.backends.cupy._layout import blas_layout
from nigiri.backends.nn_shapes import conv_out, pair, pool_out


# ------------------------------------------------------------ unavailable (CPU, CI)
def test_cupy_not_installed(fresh_runtime):
    def missing():
        raise ImportError("No module named 'cupy'")
    fresh_runtime.setattr(_runtime, "import_cupy", missing)
    with pytest.raises(nigiri.BackendUnavailableError, match="cupy not installed") as info:
        registry.get_device("cupy")
    assert 'pip install "nigiri[cupy]"' in str(info.value)
    rec = next(r for r in registry.info() if r["backend"] == "cupy")
    assert rec["available"] is False and "cupy not installed" in rec["reason"]


def test_no_cuda_device(fresh_runtime):
    class CUDARuntimeError(RuntimeError):
        pass

    def count():
        raise CUDARuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")
    fake = types.SimpleNamespace(
        __version__="14.0.0",
        cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(
            getDeviceCount=count, runtimeGetVersion=lambda: 13000,
            driverGetVersion=count)))
    fresh_runtime.setattr(_runtime, "import_cupy", lambda: fake)
    with pytest.raises(nigiri.BackendUnavailableError, match="no CUDA device"):
        registry.get_device("cupy:0")
    rec = next(r for r in registry.info() if r["backend"] == "cupy")
    assert "no CUDA device" in rec["reason"]
    assert rec["versions"]["cupy"] == "14.0.0"


def test_zero_devices_and_broken_import(fresh_runtime):
    fake = types.SimpleNamespace(__version__="14", cuda=types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=lambda: 0)))
    fresh_runtime.setattr(_runtime, "import_cupy", lambda: fake)
    with pytest.raises(nigiri.BackendUnavailableError, match="0 devices"):
        _runtime.device_count()
    _runtime.reset()

    def broken():
        raise OSError("libcudart.so.13: cannot open shared object file")
    fresh_runtime.setattr(_runtime, "import_cupy", broken)
    with pytest.raises(nigiri.BackendUnavailableError, match="failed to import"):
        _runtime.device_count()


def test_backend_module_imports_without_cupy(fresh_runtime):
    saved = sys.modules.get("cupy", None)
    fresh_runtime.setitem(sys.modules, "cupy", None)  # import cupy -> ImportError
    try:
        mod = importlib.reload(importlib.import_module("nigiri.backends.cupy.backend"))
        assert mod.CupyBackend.name == "cupy"
        assert "numpy" in mod.CupyBackend.versions()
    finally:
        if saved is not None:
            sys.modules["cupy"] = saved
        importlib.reload(importlib.import_module("nigiri.backends.cupy.backend"))


# ------------------------------------------------------------------ pure logic (CPU)
@pytest.mark.parametrize("op", list(OPS))
def test_plan_covers_every_op_and_dtype(op):
    from nigiri.arrays import dtypes as dt

    category = "numeric" if op == "divide" else OPS[op].category
    for dtype in dt.CATEGORIES[category]:
        kind, detail = _ew_plan.plan(op, dtype)
        assert kind in ("ufunc", "kernel", "copy", "part", "nextafter_bits", "const")
        if kind == "kernel":
            inp, out, body = _ew_plan.KERNELS[detail]
            assert body.count("(") == body.count(")") and body.count("{") == body.count("}")
        if kind == "ufunc":
            assert detail == ("rint" if op == "round" else OPS[op].numpy)


def test_plan_edge_semantics_use_own_kernels():
    i8, u8, f4, c8 = (np.dtype(t) for t in (np.int8, np.uint8, np.float32, np.complex64))
    assert _ew_plan.plan("floor_divide", i8) == ("kernel", "floordiv_s")
    assert _ew_plan.plan("remainder", u8) == ("kernel", "rem_u")
    assert _ew_plan.plan("pow", i8) == ("kernel", "ipow_s")
    assert _ew_plan.plan("bitwise_right_shift", i8) == ("kernel", "rshift_s")
    assert _ew_plan.plan("maximum", np.dtype(np.float64)) == ("kernel", "fmax_nan")
    assert _ew_plan.plan("maximum", f4) == ("kernel", "f32_maximum")
    assert _ew_plan.plan("less", f4) == ("kernel", "f32_less")
    assert _ew_plan.plan("sqrt", f4) == ("kernel", "f32_sqrt")
    assert _ew_plan.plan("sign", c8) == ("kernel", "csign64")
    assert _ew_plan.plan("nextafter", f4) == ("nextafter_bits", "32")
    assert _ew_plan.plan("floor_divide", f4) == ("kernel", "pyfloordiv")
    assert _ew_plan.plan("floor", i8) == ("copy", "")
    assert _ew_plan.plan("add", np.dtype(np.float64)) == ("ufunc", "add")
    # float32 arithmetic keeps subnormals (CuPy compiles with -ftz=true): own PTX kernels
    assert _ew_plan.plan("multiply", f4) == ("kernel", "fmul32")
    assert _ew_plan.plan("divide", c8) == ("kernel", "cdiv64")
    assert _ew_plan.plan("maximum", np.dtype(np.float16)) == ("kernel", "fmax_nan_h")
    assert "mul.rn.f32 %0" in _ew_plan.PREAMBLE and "rn.ftz" not in _ew_plan.PREAMBLE
    assert _ew_plan.plan("logaddexp", np.dtype(np.float64)) == ("kernel", "logaddexp64")
    dd = _ew_plan.EXTRA_PREAMBLE["logaddexp64"]
    assert "nig_log1p_cr" in dd and "double2" not in dd and "OPENCL" not in dd
    assert __import__("re").search(r"0x[0-9a-f.]+p", dd) is None  # no hex float literals
    assert _ew_plan.result_dtype("abs", c8) == np.float32
    assert _ew_plan.result_dtype("isnan", f4) == np.bool_


def test_has_loop_compares_dtypes_not_chars():
    i64 = np.dtype(np.int64)
    assert _ew_plan.has_loop(["qq->q"], i64, 2, i64)
    assert _ew_plan.has_loop(["ll->l"], i64, 2, i64)
    assert not _ew_plan.has_loop(["ff->f"], np.dtype(np.float16), 2, np.dtype(np.float16))
    assert not _ew_plan.has_loop(["e->f"], np.dtype(np.float16), 1, np.dtype(np.float16))
    i8, b = np.dtype(np.int8), np.dtype(np.bool_)
    assert not _ew_plan.has_loop(["qq->?"], i8, 2, b)
    assert _ew_plan.has_loop(["qq->?"], i8, 2, b, widen=True)
    assert not _ew_plan.has_loop(["QQ->?"], i8, 2, b, widen=True)


def test_blas_layout():
    # C-contiguous 3x4 float32: row-major, ld 4
    assert blas_layout((3, 4), (16, 4), 4) == (0, 4)
    # its transpose (4x3 with strides (4, 16)): column-major, ld 4
    assert blas_layout((4, 3), (4, 16), 4) == (1, 4)
    # a column slice x[:, :2] of a 3x4 matrix keeps ld 4
    assert blas_layout((3, 2), (16, 4), 4) == (0, 4)
    # negative or zero strides need a copy
    assert blas_layout((3, 4), (-16, 4), 4) is None
    assert blas_layout((3, 4), (0, 4), 4) is None
    # single rows / columns
    assert blas_layout((1, 5), (20, 4), 4) == (0, 5)
    assert blas_layout((5, 1), (4, 4), 4) == (0, 1)


def test_shapes():
    assert pair(3, "k") == (3, 3) and pair((1, 2), "k") == (1, 2)
    with pytest.raises(TypeError):
        pair(True, "k")
    with pytest.raises(ValueError):
        pair((1, 2, 3), "k")
    assert conv_out(56, 3, 1, 1, 1) == 56 and conv_out(56, 3, 2, 1, 1) == 28
    assert conv_out(7, 3, 1, 0, 2) == 3
    assert pool_out(5, 2, 2, 0, False) == 2 and pool_out(5, 2, 2, 0, True) == 3
    # ceil_mode never starts a window in the right padding only
    assert pool_out(4, 2, 2, 1, True) == 3


def test_cudnn_library_search(tmp_path, monkeypatch):
    lib = tmp_path / "site" / "nvidia" / "cudnn" / "lib"
    lib.mkdir(parents=True)
    (lib / "libcudnn.so.9").write_bytes(b"")
    monkeypatch.setenv("LD_LIBRARY_PATH", "")
    assert _cudnn_loader.find_libcudnn([str(tmp_path / "nothing")]) is None
    assert _cudnn_loader.find_libcudnn([str(tmp_path / "site")]) == str(lib / "libcudnn.so.9")
    torch_lib = tmp_path / "t" / "torch" / "lib"
    torch_lib.mkdir(parents=True)
    (torch_lib / "libcudnn.so.9").write_bytes(b"")
    assert _cudnn_loader.find_libcudnn([str(tmp_path / "t")]) == str(torch_lib / "libcudnn.so.9")
    monkeypatch.setenv("LD_LIBRARY_PATH", str(lib))
    assert _cudnn_loader.candidate_dirs([])[0] == str(lib)


def test_cudnn_frontend_absent_is_explained(monkeypatch):
    _cudnn_loader.reset()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    try:
        assert _cudnn_loader.load() is None
        assert "nvidia-cudnn-frontend not installed" in _cudnn_loader.reason()
    finally:
        _cudnn_loader.reset()


def test_kernel_sources_ship():
    from nigiri.backends.cupy._sources import kernel_source, with_defines

    for name in ("philox.cu", "argreduce.cu", "im2col.cu", "pool.cu", "softmax_xent.cu"):
        src = kernel_source(name)
        assert "extern \"C\" __global__" in src
        assert src.count("{") == src.count("}")
    assert with_defines("x", {"T": "signed char"}, B=">") == "typedef signed char T;\n#define B >\nx"
