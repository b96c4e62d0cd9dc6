"""The cupy backend.

Without a GPU (CI) these tests check the unavailable paths ("cupy not installed",
"no CUDA device", simulated) and the backend's pure logic (kernel plans, shapes,
BLAS layouts, the cuDNN library search). With CuPy and a CUDA device they compare
every primitive and fast path with the numpy reference backend; otherwise those
are skipped with the reason 'no CUDA device'.
"""

from __future__ import annotations

import importlib
import itertools
import sys
import types
import zlib

import numpy as np
import pytest

import nigiri
from nigiri import backends as registry
from nigiri.arrays.optable import OPS, TOLERANCE_ULPS
from nigiri.backends.cupy import _cudnn_loader, _ew_plan, _runtime
from nigiri.backends.cupy._layout import blas_layout
from nigiri.backends.nn_shapes import conv_out, pair, pool_out

# --------------------------------------------------------------------------- helpers
ALL_DTYPES = [np.dtype(d) for d in (np.bool_, np.int8, np.int16, np.int32, np.int64,
                                    np.uint8, np.uint16, np.uint32, np.uint64, np.float16,
                                    np.float32, np.float64, np.complex64, np.complex128)]


def _gpu_reason() -> str | None:
    try:
        _runtime.device_count()
    except nigiri.BackendUnavailableError:
        return "no CUDA device"
    return None


_REASON = _gpu_reason()
gpu = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")


@pytest.fixture
def fresh_runtime(monkeypatch):
    """Forget cached CuPy/registry state before and after a simulated machine."""
    def reset():
        _runtime.reset()
        registry._classes.pop("cupy", None)
        for key in [k for k in registry._devices if k[0] == "cupy"]:
            registry._devices.pop(key)
    reset()
    yield monkeypatch
    reset()


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


# ============================================================ on a CUDA device (GPU)
@pytest.fixture(scope="module")
def be():
    if _REASON is not None:
        pytest.skip(_REASON)
    return registry.get_device("cupy:0")


@pytest.fixture(scope="module")
def ref():
    return registry.get_device("numpy")


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


_SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5]


def _float_values(dtype, domain, n, rng):
    if domain == "positive":
        v = rng.uniform(0.01, 20.0, n)
    elif domain == "nonneg":
        v = rng.uniform(0.0, 20.0, n)
    elif domain == "unit":
        v = rng.uniform(-0.99, 0.99, n)
    elif domain == "ge1":
        v = rng.uniform(1.0, 20.0, n)
    elif domain == "gt-1":
        v = rng.uniform(-0.99, 20.0, n)
    elif domain == "small":
        v = rng.uniform(-5.0, 5.0, n)
    else:
        v = rng.standard_normal(n) * 10.0
    return v


def _inputs(op, dtype, rng, n=257):
    """Operands for an op-table op: domain-aware random values plus edge values."""
    spec = OPS[op]
    kind = dtype.kind
    if kind == "b":
        return [rng.integers(0, 2, n).astype(bool) for _ in range(spec.arity)]
    if kind in "iu":
        info = np.iinfo(dtype)
        edge = np.array([int(info.min), int(info.max), 0, 1, 2, int(info.max) - 1] +
                        ([-1, -2, int(info.min) + 1] if kind == "i" else []), dtype=dtype)
        if op == "pow":
            base = rng.integers(-4 if kind == "i" else 0, 5, n)
            exp = rng.integers(-3 if kind == "i" else 0, 12, n)
            return [base.astype(dtype), exp.astype(dtype)]
        if op in ("bitwise_left_shift", "bitwise_right_shift"):
            bits = dtype.itemsize * 8
            a = rng.integers(info.min, int(info.max) + 1, n, dtype=np.int64 if kind == "i" else np.uint64)
            s = rng.integers(0, bits + 4, n)
            return [a.astype(dtype), s.astype(dtype)]
        lo, hi = (max(int(info.min), -1000), min(int(info.max), 1000)) if op in (
            "multiply", "square") else (int(info.min), int(info.max))
        vals = []
        for _ in range(spec.arity):
            a = rng.integers(lo, hi, n, dtype=np.int64 if kind == "i" else np.uint64,
                             endpoint=True).astype(dtype)
            a[: len(edge)] = edge.astype(dtype)
            vals.append(a)
        if spec.arity == 2:
            vals[1][:: 7] = 0  # integer division/remainder by zero
            if kind == "i":
                vals[1][3:: 11] = -1
        return vals
    vals = []
    for i in range(spec.arity):
        v = _float_values(dtype, spec.domain if not (spec.domain == "nonzero2" and i == 0) else "any", n, rng)
        if kind == "c":
            v = v + 1j * _float_values(dtype, spec.domain, n, rng)
        a = v.astype(dtype)
        if kind == "f":  # NaN/inf/signed zeros (complex specials follow C99 Annex G: not compared)
            sp = np.array(_SPECIAL, dtype=np.float64)
            if i == 1:
                sp = np.roll(sp, 3)
            a[: len(sp)] = sp.astype(dtype)
        vals.append(a)
    return vals


def _assert_match(got, want, tol: str, what: str, scale=None):
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    if want.dtype.kind in "biu" or tol == "exact" and want.dtype.kind not in "fc":
        np.testing.assert_array_equal(got, want, err_msg=what)
        return
    if want.dtype.kind == "c":
        if tol == "exact":
            np.testing.assert_array_equal(got, want, err_msg=what)
            return
        ulps = 2 * TOLERANCE_ULPS[tol] + 2
        eps = np.finfo(want.dtype).eps
        err = np.abs(got.astype(np.complex128) - want)
        scale = np.maximum(np.abs(want.astype(np.complex128)), eps)
        bad = np.flatnonzero(~(err <= ulps * eps * scale) & ~(np.isnan(got) & np.isnan(want)))
        assert bad.size == 0, f"{what}: got {got.flat[bad[:4]]} want {want.flat[bad[:4]]}"
        return
    g, w = got.astype(np.float64), want.astype(np.float64)
    nan_g, nan_w = np.isnan(g), np.isnan(w)
    bad = np.flatnonzero(nan_g != nan_w)
    assert bad.size == 0, f"{what}: NaN mismatch at {bad[:5]}: got {got.flat[bad[:5]]}, want {want.flat[bad[:5]]}"
    fin = ~nan_w
    if tol == "exact":
        np.testing.assert_array_equal(got[fin], want[fin], err_msg=what)
        return
    ulps = 2 * TOLERANCE_ULPS[tol] + 2
    eps = np.finfo(want.dtype).eps
    inf = np.isinf(w) & fin
    assert np.array_equal(g[inf], w[inf]), f"{what}: inf mismatch"
    fin &= ~np.isinf(w)
    mag = np.abs(w) if scale is None else np.maximum(np.abs(w), scale)
    scale = np.maximum(mag[fin], np.finfo(want.dtype).tiny)
    err = np.abs(g[fin] - w[fin])
    ok = err <= ulps * eps * np.maximum(scale, eps)
    bad = np.flatnonzero(~ok)
    assert bad.size == 0, (f"{what}: {bad.size} values off by more than {ulps} ulp, e.g. "
                           f"got {g[fin][bad[:4]]} want {w[fin][bad[:4]]}")


def _cases_for(arity):
    from nigiri.arrays import dtypes as dt

    out = []
    for op, spec in OPS.items():
        if spec.arity != arity:
            continue
        category = "numeric" if op == "divide" else spec.category
        for dtype in sorted(dt.CATEGORIES[category], key=lambda d: d.num):
            if op == "divide" and dtype.kind in "iu":
                continue  # the array layer casts to float first
            out.append(pytest.param(op, np.dtype(dtype), id=f"{op}-{np.dtype(dtype).name}"))
    return out


@gpu
@pytest.mark.parametrize("op,dtype", _cases_for(1))
def test_unary_matches_reference(be, ref, op, dtype):
    (x,) = _inputs(op, dtype, _rng(zlib.crc32(op.encode())))
    want = ref.unary(op, x)
    got = be.to_host(be.unary(op, be.from_host(x, True)))
    # complex sign is z / hypot(z): exact up to the libm's hypot rounding (1 ulp)
    tol = "basic" if op == "sign" and dtype.kind == "c" else OPS[op].tol
    _assert_match(got, np.asarray(want), tol, f"{op}[{dtype.name}]")
    # strided (non-contiguous) input
    xs = be.slice_view(be.from_host(x, True), (slice(1, None, 3),))
    _assert_match(be.to_host(be.unary(op, xs)), np.asarray(ref.unary(op, x[1::3])),
                  tol, f"{op}[{dtype.name}] strided")


@gpu
@pytest.mark.parametrize("op,dtype", _cases_for(2))
def test_binary_matches_reference(be, ref, op, dtype):
    x1, x2 = _inputs(op, dtype, _rng(zlib.crc32(op.encode())))
    what = f"{op}[{dtype.name}]"
    want = np.asarray(ref.binary(op, x1, x2))
    got = be.to_host(be.binary(op, be.from_host(x1, True), be.from_host(x2, True)))
    # logaddexp cancels near 0 (x + log1p(exp(-|x-y|))): its error is relative to the inputs
    def sc(u, v):
        if op != "logaddexp":
            return None
        return np.maximum(np.abs(u), np.abs(v)).astype(np.float64)
    _assert_match(got, want, OPS[op].tol, what, sc(x1, x2))
    # broadcasting and NumPy-scalar operands on both sides
    a = x1[:16].reshape(4, 4)
    b = x2[:4]
    _assert_match(be.to_host(be.binary(op, be.from_host(a, True), be.from_host(b, True))),
                  np.asarray(ref.binary(op, a, b)), OPS[op].tol, what + " broadcast", sc(a, b))
    s = x2[5]
    _assert_match(be.to_host(be.binary(op, be.from_host(a, True), s)),
                  np.asarray(ref.binary(op, a, s)), OPS[op].tol, what + " scalar right", sc(a, s))
    _assert_match(be.to_host(be.binary(op, s, be.from_host(a, True))),
                  np.asarray(ref.binary(op, s, a)), OPS[op].tol, what + " scalar left", sc(s, a))


@gpu
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: d.name)
def test_allocation_transfer_views(be, dtype):
    rng = _rng(1)
    x = (rng.standard_normal((4, 5, 6)) * 5).astype(dtype)
    d = be.from_host(x, False)
    assert be.to_host(d).dtype == dtype
    np.testing.assert_array_equal(be.to_host(d), x)
    np.testing.assert_array_equal(be.to_host(be.copy(be.permute(d, (2, 0, 1)))), x.transpose(2, 0, 1))
    assert be.empty((2, 0, 3), dtype).shape == (2, 0, 3)
    one = np.ones((), dtype)[()]
    np.testing.assert_array_equal(be.to_host(be.full((2, 3), one, dtype)), np.full((2, 3), one))
    np.testing.assert_array_equal(be.to_host(be.iota(7, dtype if dtype.kind != "b" else np.int8)),
                                  np.arange(7, dtype=dtype if dtype.kind != "b" else np.int8))
    # slicing with negative steps, ints and the 0-d view
    key = (slice(3, None, -2), 1, slice(0, 6, 2))
    v = be.slice_view(d, key)
    np.testing.assert_array_equal(be.to_host(v), x[3::-2, 1, 0:6:2])
    zero_d = be.slice_view(d, (0, 0, 0))
    assert zero_d.shape == ()
    # writes through a view land in the base
    be.copy_into(v, be.full(v.shape, np.zeros((), dtype)[()], dtype))
    expect = x.copy()
    expect[3::-2, 1, 0:6:2] = 0
    np.testing.assert_array_equal(be.to_host(d), expect)
    # reshape: view when possible, copy=False refuses otherwise
    r = be.reshape(d, (20, 6), None)
    be.copy_into(be.slice_view(r, (0,)), be.full((6,), one, dtype))
    assert be.to_host(d)[0, 0, 0] == one
    with pytest.raises(ValueError):
        be.reshape(be.permute(d, (2, 1, 0)), (120,), False)
    np.testing.assert_array_equal(be.to_host(be.reshape(be.permute(d, (2, 1, 0)), (120,), True)),
                                  be.to_host(d).transpose(2, 1, 0).reshape(120))
    np.testing.assert_array_equal(be.to_host(be.broadcast_to(be.slice_view(d, (0, 0)), (3, 6))),
                                  np.broadcast_to(be.to_host(d)[0, 0], (3, 6)))
    np.testing.assert_array_equal(be.to_host(be.broadcast_to(one, (2, 3))), np.full((2, 3), one))


@gpu
def test_copy_into_overlap(be):
    x = np.arange(10, dtype=np.float32)
    d = be.from_host(x, True)
    be.copy_into(be.slice_view(d, (slice(1, 10, 1),)), be.slice_view(d, (slice(0, 9, 1),)))
    expect = x.copy()
    expect[1:] = x[:-1].copy()
    np.testing.assert_array_equal(be.to_host(d), expect)
    be.copy_into(d, np.float32(3.0))
    assert (be.to_host(d) == 3).all()


@gpu
@pytest.mark.parametrize("src,dst", list(itertools.product(ALL_DTYPES, ALL_DTYPES)),
                         ids=lambda d: d.name)
def test_astype(be, ref, src, dst):
    rng = _rng(2)
    x = (rng.standard_normal(64) * 50).astype(src) if src.kind != "b" else rng.integers(0, 2, 64).astype(bool)
    if src.kind == "f" and dst.kind in "iub":
        x[:3] = [0.0, -0.0, 0.5]  # NaN/out-of-range to int is unspecified: not compared
        if dst.kind == "u":
            x = np.abs(x)
    if src.kind == "c" and dst.kind != "c":
        return  # complex -> real drops the imaginary part with a warning; not in the API
    if src.kind == "f" and dst.kind in "iu":  # out-of-range float -> int is unspecified
        info = np.iinfo(dst)
        x = np.clip(x, max(int(info.min), -60000), min(int(info.max), 60000)).astype(src)
    with np.errstate(all="ignore"):
        want = np.asarray(ref.astype(x, dst))
    _assert_match(be.to_host(be.astype(be.from_host(x, True), dst)), want, "exact",
                  f"astype {src.name}->{dst.name}")


@gpu
def test_where(be, ref):
    rng = _rng(3)
    c = rng.integers(0, 2, (5, 6)).astype(bool)
    a = rng.standard_normal((5, 6)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    got = be.to_host(be.where(be.from_host(c, True), be.from_host(a, True), be.from_host(b, True)))
    np.testing.assert_array_equal(got, ref.where(c, a, b))
    got = be.to_host(be.where(be.from_host(c, True), np.float32(2), be.from_host(b, True)))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, ref.where(c, np.float32(2), b))


_RED_DTYPES = [np.dtype(d) for d in (np.bool_, np.int8, np.int32, np.int64, np.uint8, np.uint64,
                                     np.float16, np.float32, np.float64, np.complex64)]


@gpu
@pytest.mark.parametrize("op", ["sum", "prod", "max", "min", "any", "all"])
@pytest.mark.parametrize("dtype", _RED_DTYPES, ids=lambda d: d.name)
def test_reduce(be, ref, op, dtype):
    if op in ("max", "min") and dtype.kind == "c":
        return
    rng = _rng(4)
    x = (rng.standard_normal((6, 7, 8)) * 3).astype(dtype) if dtype.kind != "b" else rng.integers(0, 2, (6, 7, 8)).astype(bool)
    if dtype.kind == "f":
        x[1, 2, 3] = np.nan
        x[2, 3, :] = np.nan
    acc = dtype
    if op in ("sum", "prod") and dtype.kind in "biu":
        acc = np.dtype(np.uint64 if dtype.kind == "u" else np.int64)
        x = x.astype(acc) if dtype.kind == "b" else x
    if op in ("any", "all"):
        acc = np.dtype(np.bool_)
    tol = "exact" if dtype.kind in "biu" or op in ("max", "min", "any", "all") else "special"
    for axes in [(), (0,), (1,), (2,), (0, 2), (0, 1, 2)]:
        for keep in (False, True):
            src = x.astype(acc) if op in ("sum", "prod") and x.dtype != acc else x
            if op == "prod" and dtype.kind in "f":
                src = (src / 3).astype(src.dtype)
            want = np.asarray(ref.reduce(op, src, axes, keep, acc))
            got = be.to_host(be.reduce(op, be.from_host(src, True), axes, keep, acc))
            if op == "prod" and dtype == np.float16:
                continue  # float16 products of hundreds of values: rounding decides, not code
            if tol == "special":  # floating sum/prod: K * eps * sqrt(n) * sum|x| (DESIGN 5)
                assert got.dtype == want.dtype and got.shape == want.shape
                eps = float(np.finfo(dtype).eps)
                n = max(1, int(np.prod([src.shape[a] for a in axes])))
                if op == "sum":
                    mag = np.sum(np.abs(src.astype(np.complex128 if dtype.kind == "c" else np.float64)),
                                 axis=axes, keepdims=keep)
                    bound = 4 * eps * np.sqrt(n) * mag + (0.5 if dtype == np.float16 else 0.0)
                else:
                    bound = 4 * eps * n * np.abs(want.astype(np.complex128)) + 1e-30
                diff = np.abs(got.astype(np.complex128) - want)
                both_nan = np.isnan(got) & np.isnan(want)
                assert ((diff <= bound) | both_nan).all(), f"{op} {dtype.name} axes={axes}"
            else:
                _assert_match(got, want, tol, f"{op} {dtype.name} axes={axes} keep={keep}")


@gpu
@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("dtype", [d for d in _RED_DTYPES if d.kind != "c"], ids=lambda d: d.name)
def test_arg_reduce(be, ref, op, dtype):
    rng = _rng(5)
    x = rng.integers(0, 4, (5, 9, 7)).astype(dtype)  # many ties
    if dtype.kind == "f":
        x[1, 3, 2] = np.nan
        x[1, 5, 2] = np.nan
        x[2, :, 4] = np.nan
    d = be.from_host(x, True)
    for axis in (None, 0, 1, 2):
        for keep in (False, True):
            want = np.asarray(ref.arg_reduce(op, x, axis, keep))
            got = be.to_host(be.arg_reduce(op, d, axis, keep))
            _assert_match(got, want, "exact", f"{op} axis={axis} keep={keep}")
    # long rows take the two-pass path
    big = rng.integers(0, 50, (3, 200_003)).astype(dtype)
    if dtype.kind == "f":
        big[1, 150_000] = np.nan
    for axis in (None, 1):
        _assert_match(be.to_host(be.arg_reduce(op, be.from_host(big, True), axis, False)),
                      np.asarray(ref.arg_reduce(op, big, axis, False)), "exact", f"{op} long")


@gpu
@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dtype", [np.dtype(np.int32), np.dtype(np.int64), np.dtype(np.uint8),
                                   np.dtype(np.float32), np.dtype(np.float64),
                                   np.dtype(np.complex64)], ids=lambda d: d.name)
def test_cumulative(be, ref, op, dtype):
    rng = _rng(6)
    x = (rng.standard_normal((4, 9)) * 2).astype(dtype) if dtype.kind != "u" else rng.integers(0, 255, (4, 9)).astype(dtype)
    for axis in (0, 1):
        want = np.asarray(ref.cumulative(op, x, axis, dtype))
        got = be.to_host(be.cumulative(op, be.from_host(x, True), axis, dtype))
        if dtype.kind in "fc":
            np.testing.assert_allclose(got, want, rtol=1e-4)
            assert got.dtype == want.dtype
        else:
            _assert_match(got, want, "exact", op)


_MM_DTYPES = [np.dtype(d) for d in (np.float16, np.float32, np.float64, np.complex64,
                                    np.complex128, np.int32, np.int64, np.uint8)]


@gpu
@pytest.mark.parametrize("dtype", _MM_DTYPES, ids=lambda d: d.name)
def test_matmul(be, ref, dtype):
    rng = _rng(7)

    def mk(*shape):
        a = rng.standard_normal(shape) * 2
        if dtype.kind == "c":
            a = a + 1j * rng.standard_normal(shape)
        return a.astype(dtype) if dtype.kind != "u" else np.abs(a).astype(dtype)

    cases = [
        (mk(5, 7), mk(7, 3)), (mk(1, 7), mk(7, 1)), (mk(64, 33), mk(33, 17)),
        (mk(7, 5).T, mk(7, 3)), (mk(5, 7), mk(3, 7).T), (mk(6, 9)[:, 1:8], mk(7, 3)),
        (mk(4, 5, 7), mk(7, 3)), (mk(2, 1, 5, 7), mk(3, 7, 4)), (mk(3, 5, 7), mk(3, 7, 4)),
        (mk(5, 0), mk(0, 3)), (mk(0, 4), mk(4, 3)), (mk(3, 4)[::-1], mk(4, 2)),
    ]
    for a, b in cases:
        want = np.asarray(ref.matmul(a, b))
        got = be.to_host(be.matmul(be.from_host(a, False), be.from_host(b, False)))
        assert got.dtype == want.dtype and got.shape == want.shape
        if dtype.kind in "iu":
            np.testing.assert_array_equal(got, want)
        else:
            k = a.shape[-1]
            eps = np.finfo(dtype).eps
            bound = 4 * eps * np.sqrt(max(k, 1)) * (np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)) + 1e-30
            assert (np.abs(got.astype(np.complex128) - want) <= bound + 4 * eps * np.abs(want)).all(), (a.shape, b.shape)
    # transposed device views are passed to cuBLAS without a copy: check values
    a = mk(8, 6)
    d = be.from_host(a, True)
    got = be.to_host(be.matmul(be.permute(d, (1, 0)), d))
    np.testing.assert_allclose(got, a.T @ a, rtol=1e-2 if dtype == np.float16 else 1e-5,
                               atol=1e-1 if dtype == np.float16 else 1e-4)


@gpu
def test_matmul_strict_fp32_and_tf32_opt_in(be):
    rng = _rng(8)
    a = rng.standard_normal((512, 512)).astype(np.float32)
    b = rng.standard_normal((512, 512)).astype(np.float32)
    exact = a.astype(np.float64) @ b.astype(np.float64)
    da, db = be.from_host(a, True), be.from_host(b, True)
    strict = be.to_host(be.matmul(da, db))
    err_strict = np.abs(strict - exact).max()
    with nigiri.use(allow_tf32=True):
        tf32 = be.to_host(be.matmul(da, db))
    err_tf32 = np.abs(tf32 - exact).max()
    again = be.to_host(be.matmul(da, db))  # back to strict outside the context
    assert err_strict < 1e-3, err_strict  # IEEE float32: ~1e-5 relative
    assert err_tf32 > 4 * err_strict, (err_tf32, err_strict)  # TF32: 10-bit mantissa
    np.testing.assert_array_equal(again, strict)


@gpu
@pytest.mark.parametrize("dtype", [np.dtype(np.float32), np.dtype(np.float64),
                                   np.dtype(np.complex64)], ids=lambda d: d.name)
def test_linalg(be, ref, dtype):
    rng = _rng(9)
    a = rng.standard_normal((3, 4, 4))
    if dtype.kind == "c":
        a = a + 1j * rng.standard_normal((3, 4, 4))
    spd = (a @ np.conj(np.swapaxes(a, -1, -2)) + 4 * np.eye(4)).astype(dtype)
    a = a.astype(dtype)
    rhs = rng.standard_normal((3, 4, 2)).astype(dtype)
    tol = 1e-3 if dtype in (np.float32, np.complex64) else 1e-9
    d = be.from_host(a, True)
    ds = be.from_host(spd, True)
    for op, args, kw in [("inv", (a,), {}), ("det", (a,), {}), ("solve", (a, rhs), {}),
                         ("cholesky", (spd,), {}), ("cholesky", (spd,), {"upper": True}),
                         ("eigvalsh", (spd,), {}), ("svdvals", (a,), {}), ("slogdet", (a,), {})]:
        want = ref.linalg(op, *args, **kw)
        got = be.linalg(op, *[be.from_host(x, True) for x in args], **kw)
        want = want if isinstance(want, tuple) else (want,)
        got = got if isinstance(got, tuple) else (got,)
        for g, w in zip(got, want):
            g = be.to_host(g)
            assert g.dtype == np.asarray(w).dtype, (op, g.dtype, np.asarray(w).dtype)
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=op)
    # decompositions whose factors are unique up to signs: check reconstruction
    q, r = (be.to_host(v) for v in be.linalg("qr", d, mode="reduced"))
    np.testing.assert_allclose(q @ r, a, rtol=tol, atol=tol)
    w, v = (be.to_host(t) for t in be.linalg("eigh", ds))
    np.testing.assert_allclose(v @ (w[..., None] * np.conj(np.swapaxes(v, -1, -2))), spd,
                               rtol=tol, atol=10 * tol)
    u, s, vh = (be.to_host(t) for t in be.linalg("svd", d, full_matrices=False))
    np.testing.assert_allclose((u * s[..., None, :]) @ vh, a, rtol=tol, atol=10 * tol)
    with pytest.raises(np.linalg.LinAlgError):
        be.linalg("cholesky", be.from_host(-spd, True))


@gpu
def test_gather_scatter_nonzero(be, ref):
    rng = _rng(10)
    x = rng.standard_normal((6, 5, 4)).astype(np.float32)
    i0 = rng.integers(0, 6, (3, 2))
    i1 = rng.integers(0, 5, (3, 2))
    d = be.from_host(x, True)
    got = be.to_host(be.gather(d, (be.from_host(i0, True), be.from_host(i1, True))))
    np.testing.assert_array_equal(got, ref.gather(x, (i0, i1)))
    view = be.slice_view(d, (slice(1, 6, 2),))
    vals = np.full((2, 4), 7.0, np.float32)
    be.scatter(view, (be.from_host(np.array([0, 2]), True), be.from_host(np.array([1, 3]), True)),
               be.from_host(vals, True))
    expect = x.copy()
    expect[1::2][[0, 2], [1, 3]] = 7.0
    np.testing.assert_array_equal(be.to_host(d), expect)
    m = x > 0.5
    got = be.nonzero(be.from_host(m, True))
    want = ref.nonzero(m)
    assert len(got) == 3
    for g, w in zip(got, want):
        _assert_match(be.to_host(g), w, "exact", "nonzero")


_SORT_DTYPES = [np.dtype(d) for d in (np.bool_, np.int8, np.int64, np.uint16, np.float16,
                                      np.float32, np.float64)]


@gpu
@pytest.mark.parametrize("dtype", _SORT_DTYPES, ids=lambda d: d.name)
def test_sort_argsort_searchsorted(be, ref, dtype):
    rng = _rng(11)
    x = rng.integers(0, 5, (4, 33)).astype(dtype)  # many ties: stability matters
    if dtype.kind == "f":
        x[0, [3, 9, 20]] = np.nan
        x[1, [2, 5]] = [-0.0, 0.0]
        x[2, 4] = np.inf
    d = be.from_host(x, True)
    for axis in (0, 1):
        for desc in (False, True):
            _assert_match(be.to_host(be.argsort(d, axis, desc)),
                          np.asarray(ref.argsort(x, axis, desc)), "exact",
                          f"argsort axis={axis} desc={desc}")
            _assert_match(be.to_host(be.sort(d, axis, desc)),
                          np.asarray(ref.sort(x, axis, desc)), "exact",
                          f"sort axis={axis} desc={desc}")
    if dtype.kind != "b":
        hay = np.sort(x[0])
        needles = np.concatenate([x[1], x[0][:5]])
        for side in ("left", "right"):
            _assert_match(be.to_host(be.searchsorted(be.from_host(hay, True),
                                                     be.from_host(needles, True), side)),
                          np.asarray(ref.searchsorted(hay, needles, side)), "exact",
                          f"searchsorted {side}")


@gpu
def test_philox_bit_identical(be, ref):
    # Random123 known answer (philox4x32_10, key 0, counter 0): pinned in philox_host
    for key, counter, n in [((0, 0), 0, 4), ((0xA4093822, 0x299F31D0), 0x243F6A88, 37),
                            ((123, 456), (1 << 32) - 2, 1001), ((1, 2), 5, 0),
                            ((7, 9), 2**63 + 5, 4099)]:
        np.testing.assert_array_equal(be.to_host(be.philox(key, counter, n)),
                                      ref.philox(key, counter, n))
    np.testing.assert_array_equal(be.to_host(be.philox((0, 0), 0, 4)),
                                  np.array([0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8],
                                           np.uint32))


@gpu
def test_dlpack_both_ways(be):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    d = be.from_host(x, True)
    assert be.dlpack_device(d) == (2, 0)
    import cupy as cp

    back = cp.from_dlpack(types.SimpleNamespace(
        __dlpack__=lambda stream=None, **kw: be.to_dlpack(d, stream),
        __dlpack_device__=lambda: be.dlpack_device(d)))
    back[0, 0] = 42  # zero-copy: shares memory
    assert be.to_host(d)[0, 0] == 42
    other = cp.arange(5, dtype=cp.int32)
    imported = be.from_dlpack(other)
    imported[1] = 9
    assert int(other[1]) == 9
    with pytest.raises(ValueError, match="DLPack device"):
        be.from_dlpack(np.arange(3))
    try:
        import torch
    except ImportError:
        return
    if torch.cuda.is_available():
        t = torch.from_dlpack(nigiri.asarray(x, device="cupy:0"))
        assert t.device.type == "cuda" and float(t[2, 3]) == 11.0
        back = be.from_dlpack(torch.arange(4, device="cuda"))
        assert be.to_host(back).tolist() == [0, 1, 2, 3]


@gpu
def test_out_of_memory_names_device_and_size(be):
    with pytest.raises(MemoryError, match=r"cupy:0.*1,125,899,906,842,624 bytes"):
        be.empty((1 << 50,), np.uint8)


@gpu
def test_stats_and_describe(be):
    be.from_host(np.ones(1000, np.float32), True)
    s = be.stats()
    assert s["pool_total_bytes"] >= s["pool_used_bytes"] >= 0
    assert "host_round_trips" in s
    desc = be.describe()
    assert desc["kind"] == "gpu" and desc["memory_bytes"] > 0
    assert be.capabilities.memory_bytes == desc["memory_bytes"]
    assert set(be.capabilities.fast_paths) >= {"conv2d_forward", "sgd_update"}
    info = next(r for r in registry.info() if r["backend"] == "cupy")
    assert info["available"] and info["versions"]["cupy"]


@gpu
def test_array_api_on_cupy(be):
    x = nigiri.asarray(np.arange(6, dtype=np.float32).reshape(2, 3), device="cupy:0")
    y = nigiri.log(x + 1)
    np.testing.assert_allclose(nigiri.to_numpy(y), np.log(np.arange(6).reshape(2, 3) + 1), rtol=1e-6)
    assert str(y.device) == "cupy:0"


# ------------------------------------------------------------- nn fast paths (GPU)
def _np_conv(x, w, b, s, p, d, g):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ho, wo = conv_out(h, kh, s[0], p[0], d[0]), conv_out(wd, kw, s[1], p[1], d[1])
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    y = np.zeros((n, o, ho, wo))
    og = o // g
    for gi, i, j in itertools.product(range(g), range(kh), range(kw)):
        patch = xp[:, gi * cg:(gi + 1) * cg, i * d[0]:i * d[0] + s[0] * (ho - 1) + 1:s[0],
                   j * d[1]:j * d[1] + s[1] * (wo - 1) + 1:s[1]]
        y[:, gi * og:(gi + 1) * og] += np.einsum("ncij,oc->noij", patch, w[gi * og:(gi + 1) * og, :, i, j])
    if b is not None:
        y += b[None, :, None, None]
    return y


def _np_conv_backward(x, w, dy, s, p, d, g):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ho, wo = dy.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    dxp = np.zeros_like(xp, dtype=np.float64)
    dw = np.zeros(w.shape)
    og = o // g
    for gi, i, j in itertools.product(range(g), range(kh), range(kw)):
        sl = (slice(None), slice(gi * cg, (gi + 1) * cg),
              slice(i * d[0], i * d[0] + s[0] * (ho - 1) + 1, s[0]),
              slice(j * d[1], j * d[1] + s[1] * (wo - 1) + 1, s[1]))
        dyg = dy[:, gi * og:(gi + 1) * og]
        dw[gi * og:(gi + 1) * og, :, i, j] = np.einsum("noij,ncij->oc", dyg, xp[sl])
        dxp[sl] += np.einsum("noij,oc->ncij", dyg, w[gi * og:(gi + 1) * og, :, i, j])
    return dxp[:, :, p[0]:p[0] + h, p[1]:p[1] + wd], dw, dy.sum(axis=(0, 2, 3))


_CONV_CASES = [
    # (N, C, H, W, O, kh, kw, stride, padding, dilation, groups)
    (2, 3, 9, 8, 4, 3, 3, (1, 1), (1, 1), (1, 1), 1),
    (2, 4, 10, 11, 6, 3, 2, (2, 1), (0, 1), (1, 1), 1),
    (1, 4, 12, 12, 4, 3, 3, (1, 2), (2, 2), (2, 1), 2),
    (3, 6, 7, 7, 6, 1, 1, (1, 1), (0, 0), (1, 1), 3),
    (2, 8, 16, 16, 16, 5, 5, (2, 2), (2, 2), (1, 1), 1),
]


def _conv_impls(be):
    from nigiri.backends.cupy.nn import conv_gemm

    impls = [("registered", be.fast_path("conv2d_forward"), be.fast_path("conv2d_backward"))]
    if getattr(be, "cudnn_conv", None) is not None:
        impls.append(("im2col", lambda x, w, b, s, p, d, g: conv_gemm.forward(x, w, b, s, p, d, g),
                      lambda x, w, dy, s, p, d, g, need: conv_gemm.backward(x, w, dy, s, p, d, g, need)))
    return impls


@gpu
@pytest.mark.parametrize("case", _CONV_CASES, ids=lambda c: "x".join(map(str, c[:7])))
@pytest.mark.parametrize("dtype", [np.dtype(np.float32), np.dtype(np.float64)], ids=lambda d: d.name)
def test_conv2d_fast_paths(be, case, dtype):
    n, c, h, wd, o, kh, kw, s, p, d, g = case
    rng = _rng(12)
    x = rng.standard_normal((n, c, h, wd)).astype(dtype)
    w = rng.standard_normal((o, c // g, kh, kw)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype)
    want = _np_conv(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), s, p, d, g)
    dy = rng.standard_normal(want.shape).astype(dtype)
    dx_w, dw_w, db_w = _np_conv_backward(x.astype(np.float64), w.astype(np.float64),
                                         dy.astype(np.float64), s, p, d, g)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for name, fwd, bwd in _conv_impls(be):
        y = be.to_host(fwd(be.from_host(x, True), be.from_host(w, True), be.from_host(b, True), s, p, d, g))
        assert y.dtype == dtype
        np.testing.assert_allclose(y, want, rtol=tol, atol=tol * 10, err_msg=f"{name} forward")
        dx, dw, db = bwd(be.from_host(x, True), be.from_host(w, True), be.from_host(dy, True),
                         s, p, d, g, (True, True, True))
        for got, ref_, label in ((dx, dx_w, "dx"), (dw, dw_w, "dw"), (db, db_w, "db")):
            np.testing.assert_allclose(be.to_host(got), ref_, rtol=tol, atol=tol * 50,
                                       err_msg=f"{name} {label}")
        only_dw = bwd(be.from_host(x, True), be.from_host(w, True), be.from_host(dy, True),
                      s, p, d, g, (False, True, False))
        assert only_dw[0] is None and only_dw[2] is None


@gpu
def test_conv2d_tf32_opt_in(be):
    fwd = be.fast_path("conv2d_forward")
    rng = _rng(13)
    x = rng.standard_normal((4, 64, 16, 16)).astype(np.float32)
    w = rng.standard_normal((64, 64, 3, 3)).astype(np.float32)
    want = _np_conv(x.astype(np.float64), w.astype(np.float64), None, (1, 1), (1, 1), (1, 1), 1)
    dx, dw = be.from_host(x, True), be.from_host(w, True)
    strict = np.abs(be.to_host(fwd(dx, dw, None, 1, 1, 1, 1)) - want).max()
    with nigiri.use(allow_tf32=True):
        loose = np.abs(be.to_host(fwd(dx, dw, None, 1, 1, 1, 1)) - want).max()
    assert strict < 2e-3, strict
    assert loose < 0.5, loose


def _np_pool(x, kind, k, s, p, ceil):
    n, c, h, w = x.shape
    ho, wo = pool_out(h, k[0], s[0], p[0], ceil), pool_out(w, k[1], s[1], p[1], ceil)
    y = np.zeros((n, c, ho, wo), x.dtype)
    arg = np.full((n, c, ho, wo), -1, np.int64)
    for oh, ow in itertools.product(range(ho), range(wo)):
        h0, w0 = oh * s[0] - p[0], ow * s[1] - p[1]
        h1, w1 = min(h0 + k[0], h + p[0]), min(w0 + k[1], w + p[1])
        hs, ws = slice(max(h0, 0), min(h1, h)), slice(max(w0, 0), min(w1, w))
        win = x[:, :, hs, ws].reshape(n, c, -1)
        if kind == "max":
            hh, ww = np.meshgrid(np.arange(h)[hs], np.arange(w)[ws], indexing="ij")
            flat = (hh * w + ww).reshape(-1)
            pos = np.where(np.isnan(win).any(-1), np.argmax(np.isnan(win), -1), np.argmax(win, -1))
            y[:, :, oh, ow] = np.take_along_axis(win, pos[..., None], -1)[..., 0]
            arg[:, :, oh, ow] = flat[pos]
        else:
            y[:, :, oh, ow] = win.sum(-1) / ((h1 - h0) * (w1 - w0))
    return y, arg


@gpu
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("k,s,p,ceil", [((2, 2), (2, 2), (0, 0), False), ((3, 3), (2, 2), (1, 1), False),
                                        ((3, 2), (2, 1), (1, 0), True), ((2, 2), (2, 2), (1, 1), True)])
def test_pool2d_fast_paths(be, kind, k, s, p, ceil):
    rng = _rng(14)
    x = rng.integers(0, 6, (2, 3, 7, 8)).astype(np.float32)  # ties
    x[0, 1, 2, 3] = np.nan
    want_y, want_arg = _np_pool(x, kind, k, s, p, ceil)
    fwd, bwd = be.fast_path("pool2d_forward"), be.fast_path("pool2d_backward")
    y, arg = fwd(be.from_host(x, True), kind, k, s, p, ceil)
    np.testing.assert_allclose(be.to_host(y), want_y, rtol=1e-6, equal_nan=True)
    if kind == "max":
        np.testing.assert_array_equal(be.to_host(arg), want_arg)
    else:
        assert arg is None
    dy = rng.standard_normal(want_y.shape).astype(np.float32)
    dx = be.to_host(bwd(be.from_host(dy, True), be.from_host(x, True), arg, kind, k, s, p, ceil))
    want_dx = np.zeros(x.shape)
    n, c, h, w = x.shape
    for oh, ow in itertools.product(range(want_y.shape[2]), range(want_y.shape[3])):
        if kind == "max":
            for i, j in itertools.product(range(n), range(c)):
                a = want_arg[i, j, oh, ow]
                want_dx[i, j, a // w, a % w] += dy[i, j, oh, ow]
        else:
            h0, w0 = oh * s[0] - p[0], ow * s[1] - p[1]
            h1, w1 = min(h0 + k[0], h + p[0]), min(w0 + k[1], w + p[1])
            want_dx[:, :, max(h0, 0):min(h1, h), max(w0, 0):min(w1, w)] += (
                dy[:, :, oh, ow][:, :, None, None] / ((h1 - h0) * (w1 - w0)))
    np.testing.assert_allclose(dx, want_dx, rtol=1e-5, atol=1e-5)


@gpu
@pytest.mark.parametrize("dtype", [np.dtype(np.float32), np.dtype(np.float64)], ids=lambda d: d.name)
def test_softmax_xent_fast_paths(be, dtype):
    rng = _rng(15)
    logits = (rng.standard_normal((37, 1000)) * 5).astype(dtype)
    labels = rng.integers(0, 1000, 37)
    labels[[3, 7]] = -100
    z = logits.astype(np.float64)
    m = z.max(1, keepdims=True)
    e = np.exp(z - m)
    probs = e / e.sum(1, keepdims=True)
    loss = np.log(e.sum(1)) + m[:, 0] - z[np.arange(37), np.clip(labels, 0, None)]
    loss[labels == -100] = 0
    fwd, bwd = be.fast_path("softmax_xent_forward"), be.fast_path("softmax_xent_backward")
    gl, gp = fwd(be.from_host(logits, True), be.from_host(labels, True), -100)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(be.to_host(gl), loss, rtol=tol, atol=tol)
    np.testing.assert_allclose(be.to_host(gp), probs, rtol=tol, atol=tol)
    dloss = rng.standard_normal(37).astype(dtype)
    onehot = np.zeros_like(probs)
    onehot[np.arange(37), np.clip(labels, 0, None)] = 1
    want = dloss[:, None] * (probs - onehot)
    want[labels == -100] = 0
    got = be.to_host(bwd(gp, be.from_host(labels.astype(np.int32), True), be.from_host(dloss, True), -100))
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@gpu
@pytest.mark.parametrize("shape", [(8, 5, 6, 7), (16, 9), (4, 3, 16, 20)])
def test_batchnorm_fast_paths(be, shape):
    rng = _rng(16)
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    c = shape[1]
    gamma, beta = rng.standard_normal(c).astype(np.float32), rng.standard_normal(c).astype(np.float32)
    rm, rv = np.zeros(c, np.float32), np.ones(c, np.float32)
    axes = (0,) + tuple(range(2, len(shape)))
    bs = (1, c) + (1,) * (len(shape) - 2)
    x64 = x.astype(np.float64)
    mean, var = x64.mean(axes), x64.var(axes)
    invstd = 1 / np.sqrt(var + 1e-5)
    want_y = (x64 - mean.reshape(bs)) * invstd.reshape(bs) * gamma.reshape(bs) + beta.reshape(bs)
    cnt = x.size // c
    impls = [(be.fast_path("batchnorm_forward"), be.fast_path("batchnorm_backward"))]
    if getattr(be, "cudnn_bn", None) is not None:
        impls.append((be.cudnn_bn.forward, be.cudnn_bn.backward))
    for fwd, bwd in impls:
        _check_batchnorm(be, fwd, bwd, x, gamma, beta, rm, rv, mean, var, invstd, want_y, cnt,
                         axes, bs, x64, rng)


def _check_batchnorm(be, fwd, bwd, x, gamma, beta, rm, rv, mean, var, invstd, want_y, cnt,
                     axes, bs, x64, rng):
    shape = x.shape
    drm, drv = be.from_host(rm, True), be.from_host(rv, True)
    y, sm, si = fwd(be.from_host(x, True), be.from_host(gamma, True), be.from_host(beta, True),
                    drm, drv, 0.1, 1e-5, True)
    np.testing.assert_allclose(be.to_host(y), want_y, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(be.to_host(sm), mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(be.to_host(si), invstd, rtol=1e-4)
    np.testing.assert_allclose(be.to_host(drm), 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(be.to_host(drv), 0.9 + 0.1 * var * cnt / (cnt - 1), rtol=1e-5)
    dy = rng.standard_normal(shape).astype(np.float32)
    dx, dg, db = bwd(be.from_host(dy, True), be.from_host(x, True), be.from_host(gamma, True), sm, si)
    xhat = (x64 - mean.reshape(bs)) * invstd.reshape(bs)
    want_db = dy.sum(axes)
    want_dg = (dy * xhat).sum(axes)
    want_dx = gamma.reshape(bs) * invstd.reshape(bs) / cnt * (
        cnt * dy - want_db.reshape(bs) - xhat * want_dg.reshape(bs))
    np.testing.assert_allclose(be.to_host(db), want_db, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(be.to_host(dg), want_dg, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(be.to_host(dx), want_dx, rtol=1e-4, atol=1e-4)
    # inference mode normalises with the running statistics
    y2, _, _ = fwd(be.from_host(x, True), be.from_host(gamma, True), be.from_host(beta, True),
                   drm, drv, 0.1, 1e-5, False)
    r_m, r_v = be.to_host(drm).astype(np.float64), be.to_host(drv).astype(np.float64)
    want2 = (x64 - r_m.reshape(bs)) / np.sqrt(r_v.reshape(bs) + 1e-5) * gamma.reshape(bs) + beta.reshape(bs)
    np.testing.assert_allclose(be.to_host(y2), want2, rtol=1e-4, atol=1e-4)


@gpu
@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_update(be, nesterov):
    rng = _rng(17)
    p, g, v = (rng.standard_normal(1000).astype(np.float32) for _ in range(3))
    dp, dg, dv = (be.from_host(a, True) for a in (p, g, v))
    be.fast_path("sgd_update")(dp, dg, dv, 0.1, 0.9, 1e-4, nesterov)
    gg = g + 1e-4 * p
    v2 = 0.9 * v + gg
    p2 = p - 0.1 * (gg + 0.9 * v2 if nesterov else v2)
    np.testing.assert_allclose(be.to_host(dv), v2, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(be.to_host(dp), p2, rtol=1e-6, atol=1e-6)


@gpu
@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_update(be, decoupled):
    rng = _rng(18)
    p, g = (rng.standard_normal(1000).astype(np.float64) for _ in range(2))
    m, v = rng.standard_normal(1000) * 0.1, np.abs(rng.standard_normal(1000)) * 0.01
    dp, dg, dm, dv = (be.from_host(a, True) for a in (p, g, m, v))
    lr, b1, b2, eps, wd, step = 1e-3, 0.9, 0.999, 1e-8, 1e-2, 7
    be.fast_path("adam_update")(dp, dg, dm, dv, lr, b1, b2, eps, wd, decoupled, step)
    pp = p * (1 - lr * wd) if decoupled else p
    gg = g if decoupled else g + wd * p
    m2 = b1 * m + (1 - b1) * gg
    v2 = b2 * v + (1 - b2) * gg * gg
    p2 = pp - lr * (m2 / (1 - b1 ** step)) / (np.sqrt(v2 / (1 - b2 ** step)) + eps)
    np.testing.assert_allclose(be.to_host(dm), m2, rtol=1e-12)
    np.testing.assert_allclose(be.to_host(dv), v2, rtol=1e-12)
    np.testing.assert_allclose(be.to_host(dp), p2, rtol=1e-10, atol=1e-12)


@gpu
def test_float32_subnormals_survive_cupys_ftz():
    """CuPy compiles every kernel with -ftz=true; our float32 kernels keep subnormals."""
    import nigiri as ng

    tiny = np.float32(1.1754944e-38)  # the smallest normal float32
    x = np.array([tiny, -tiny, tiny * 4], np.float32)
    y = np.array([0.5, 0.25, 0.125], np.float32)
    dx, dy = ng.asarray(x, device="cupy:0"), ng.asarray(y, device="cupy:0")
    np.testing.assert_array_equal(ng.to_numpy(dx * dy), x * y)  # subnormal products
    np.testing.assert_array_equal(ng.to_numpy(dx / (1 / dy)), x / (1 / y))
    sub = ng.asarray(x * y, device="cupy:0")
    np.testing.assert_array_equal(ng.to_numpy(sub > 0), (x * y) > 0)
    np.testing.assert_array_equal(ng.to_numpy(ng.sqrt(ng.abs(sub))), np.sqrt(np.abs(x * y)))
    d64 = ng.asarray((x * y).astype(np.float64), device="cupy:0")
    np.testing.assert_array_equal(ng.to_numpy(ng.astype(d64, ng.float32)), x * y)


@gpu
def test_complex_edge_cases_follow_numpy():
    import nigiri as ng

    nan, inf = np.nan, np.inf
    with np.errstate(all="ignore"):
        a = np.array([complex(-0.0, 1.0), complex(inf, 0.0), 0j, complex(-0.0, inf)], np.complex128)
        b = np.array([complex(inf, 1.0), complex(2.0, 0.0), complex(2.0, 0.0),
                      complex(-1.0, nan)], np.complex128)
        da, db = ng.asarray(a, device="cupy:0"), ng.asarray(b, device="cupy:0")
        np.testing.assert_array_equal(ng.to_numpy(da / db), a / b)
        # special cases of NumPy's npy_cpow: 0**2, integer powers by products, and
        # glibc's cexp(b * clog(a)) with the Annex G multiply (-> -0j, not nan)
        pa = np.array([0j, complex(inf, 0.0), complex(-0.0, inf), 1 + 1j], np.complex128)
        pb = np.array([2 + 0j, 2 + 0j, complex(-1.0, nan), 2 + 0j], np.complex128)
        got = ng.to_numpy(ng.asarray(pa, device="cupy:0") ** ng.asarray(pb, device="cupy:0"))
        np.testing.assert_array_equal(got, pa ** pb)
        np.testing.assert_array_equal(ng.to_numpy(ng.log2(ng.asarray(np.array([0j]), device="cupy:0"))),
                                      np.log2(np.array([0j])))
        e = np.array([complex(inf, 0.0)])
        np.testing.assert_array_equal(ng.to_numpy(ng.expm1(ng.asarray(e, device="cupy:0"))), np.expm1(e))
    z = np.array([2.828061291846196 - 0.7883512330084192j])
    np.testing.assert_array_equal(ng.to_numpy(ng.sign(ng.asarray(z, device="cupy:0"))), np.sign(z))
