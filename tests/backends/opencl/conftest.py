"""Fixtures for the OpenCL backend tests: the device (skipped where OpenCL is absent),
the numpy reference, and comparison helpers (``h.close_ulps``, ``h.reduction_close``)."""

from __future__ import annotations

import types

import numpy as np
import pytest

from nigiri._errors import BackendUnavailableError


def opencl_device():
    """The opencl:0 backend, or skip the module when OpenCL is absent here."""
    pytest.importorskip("pyopencl", reason="pyopencl is not installed")
    from nigiri.backends import get_device

    try:
        return get_device("opencl:0")
    except BackendUnavailableError as exc:  # no platform/device on this machine
        pytest.skip(f"OpenCL unavailable: {exc}")


def numpy_ref():
    from nigiri.backends import get_device

    return get_device("numpy")


def assert_close_ulps(got: np.ndarray, ref: np.ndarray, ulps: int, what: str = "",
                      scale: np.ndarray | None = None) -> None:
    """Same dtype and shape; floats within ``ulps`` of the reference (NaN where NaN,
    infinities equal); everything else exact. ``scale`` (broadcastable to ``ref``)
    measures ULPs at ``max(|ref|, |scale|)`` instead, for ops whose result can cancel
    (logaddexp near 0: the error of its terms sets the attainable accuracy)."""
    assert got.dtype == ref.dtype, f"{what}: dtype {got.dtype} != {ref.dtype}"
    assert got.shape == ref.shape, f"{what}: shape {got.shape} != {ref.shape}"
    if ref.dtype.kind != "f" or ulps == 0:
        np.testing.assert_array_equal(got, ref, err_msg=what)
        return
    g = got.astype(np.float64)
    r = ref.astype(np.float64)
    nan_r = np.isnan(r)
    np.testing.assert_array_equal(np.isnan(g), nan_r, err_msg=f"{what}: NaN positions")
    inf = np.isinf(r)
    np.testing.assert_array_equal(g[inf], r[inf], err_msg=f"{what}: infinities")
    fin = ~nan_r & ~inf
    mag = np.abs(ref)
    if scale is not None:
        mag = np.maximum(mag, np.broadcast_to(np.abs(scale), ref.shape).astype(ref.dtype))
    spacing = np.spacing(mag[fin]).astype(np.float64)
    tiny = np.finfo(ref.dtype).tiny
    err = np.abs(g[fin] - r[fin])
    bound = ulps * np.maximum(spacing, tiny)
    bad = err > bound
    assert not bad.any(), (
        f"{what}: {int(bad.sum())} values beyond {ulps} ULP, e.g. got {g[fin][bad][:3]} "
        f"ref {r[fin][bad][:3]}"
    )


def assert_reduction_close(got: np.ndarray, ref: np.ndarray, x: np.ndarray, n: int,
                           what: str = "") -> None:
    """The conformance bound for sums/products: 4 * eps * sqrt(n) * sum|x| per output."""
    assert got.dtype == ref.dtype and got.shape == ref.shape, what
    if ref.dtype.kind != "f":
        np.testing.assert_array_equal(got, ref, err_msg=what)
        return
    eps = np.finfo(ref.dtype).eps
    scale = float(np.abs(x.astype(np.float64)).sum()) if x.size else 0.0
    bound = 4 * eps * np.sqrt(max(n, 1)) * max(scale, 1.0)
    np.testing.assert_allclose(got.astype(np.float64), ref.astype(np.float64), rtol=0,
                               atol=bound, err_msg=what)


@pytest.fixture(scope="session")
def be():
    """The opencl:0 backend instance."""
    return opencl_device()


@pytest.fixture(scope="session")
def ref():
    """The numpy reference backend."""
    return numpy_ref()


@pytest.fixture(scope="session")
def h():
    """Comparison helpers."""
    return types.SimpleNamespace(close_ulps=assert_close_ulps, reduction_close=assert_reduction_close)
