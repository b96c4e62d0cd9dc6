"""OpenCL backend: devices, capabilities, unavailable paths, transfers, views and
aliasing, allocation, casts, copy_into, Philox bit identity."""

from __future__ import annotations

import numpy as np
import pytest

from nigiri._errors import BackendUnavailableError
from nigiri.backends import contract
from nigiri.backends.philox_host import philox_words

rng = np.random.default_rng(7)


def test_every_primitive_implemented(be) -> None:
    missing = set(contract.PRIMITIVES) - contract.implemented_primitives(type(be))
    assert missing <= set(contract.OPTIONAL_PRIMITIVES), missing
    assert be.capabilities.host_linalg  # linalg goes through the counted host path
    assert "linalg" in be.capabilities.unsupported


def test_describe_and_capabilities(be) -> None:
    d = be.describe()
    for key in ("platform", "name", "memory_bytes", "max_buffer_bytes", "float64", "float16"):
        assert key in d
    caps = be.capabilities
    assert caps.complex is False
    assert caps.float64 == d["float64"] and caps.float16 == d["float16"]
    assert caps.max_buffer_bytes == d["max_buffer_bytes"]
    kinds = type(be).device_kinds()
    assert len(kinds) == type(be).device_count() and set(kinds) <= {"cpu", "gpu"}
    assert {"conv2d_forward", "sgd_update"} <= caps.fast_paths
    assert "pyopencl" in type(be).versions()


def test_device_index_from_env(be, h, monkeypatch: pytest.MonkeyPatch) -> None:
    from nigiri.backends import get_device

    monkeypatch.setenv("NIGIRI_OPENCL_DEVICE", "0")
    assert get_device("opencl") is be
    monkeypatch.setenv("NIGIRI_OPENCL_DEVICE", str(type(be).device_count()))
    with pytest.raises(ValueError, match="does not exist"):
        get_device("opencl")


def test_unavailable_no_platform(be, h, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyopencl as cl

    from nigiri.backends.opencl import platform

    def no_platform():
        raise cl.LogicError("clGetPlatformIDs failed: PLATFORM_NOT_FOUND_KHR")

    monkeypatch.setattr(platform, "_devices", None)
    monkeypatch.setattr(cl, "get_platforms", no_platform)
    with pytest.raises(BackendUnavailableError, match="no OpenCL platform.*nigiri\\[opencl\\]"):
        type(be).device_count()
    monkeypatch.setattr(cl, "get_platforms", lambda: [])
    monkeypatch.setattr(platform, "_devices", None)
    with pytest.raises(BackendUnavailableError, match="no OpenCL platform"):
        type(be).device_count()


def test_unavailable_no_device(be, h, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyopencl as cl

    from nigiri.backends.opencl import platform

    class EmptyPlatform:
        name, vendor = "Empty", "nobody"

        def get_devices(self):
            raise cl.RuntimeError("clGetDeviceIDs failed: DEVICE_NOT_FOUND")

    monkeypatch.setattr(platform, "_devices", None)
    monkeypatch.setattr(cl, "get_platforms", lambda: [EmptyPlatform()])
    with pytest.raises(BackendUnavailableError, match="no device.*Empty"):
        type(be).device_count()


def test_unavailable_no_pyopencl(be, h, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from nigiri.backends.opencl import platform

    monkeypatch.setattr(platform, "_devices", None)
    monkeypatch.setitem(sys.modules, "pyopencl", None)
    with pytest.raises(BackendUnavailableError, match='pip install "nigiri\\[opencl\\]"'):
        type(be).device_count()


def test_memory_error_over_max_alloc(be) -> None:
    limit = be.capabilities.max_buffer_bytes
    with pytest.raises(MemoryError, match=r"opencl:0.*exceeds.*maximum allocation"):
        be.empty((limit // 4 + 1,), np.dtype(np.float32))


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint16", "int32", "int64", "uint64",
                                   "float32", "float64"])
def test_roundtrip_full_iota(be, dtype: str) -> None:
    host = (rng.standard_normal((3, 5)) * 50).astype(dtype)
    np.testing.assert_array_equal(be.to_host(be.from_host(host, False)), host)
    np.testing.assert_array_equal(be.to_host(be.from_host(host[:, ::-2], True)), host[:, ::-2])
    v = np.ones((), dtype)[()]
    np.testing.assert_array_equal(be.to_host(be.full((2, 3), v, np.dtype(dtype))),
                                  np.full((2, 3), v, dtype))
    if dtype != "bool":
        np.testing.assert_array_equal(be.to_host(be.iota(7, np.dtype(dtype))),
                                      np.arange(7, dtype=dtype))


def test_zero_d_keeps_its_shape(be) -> None:
    """A 0-d host array stays 0-d on the device (np.ascontiguousarray makes it (1,)),
    so ops on it are 0-d and it can be written into an element view."""
    import nigiri as ng

    buf = be.from_host(np.array(5, np.int32), False)
    assert buf.shape == () and buf.strides == () and buf.size == 1
    assert be.to_host(buf).shape == ()
    assert be.to_host(be.unary("negative", buf)).shape == ()
    x = ng.asarray(np.arange(6, dtype=np.int32), device=be.device_name)
    s = ng.asarray(np.array(-9, np.int32), device=be.device_name)
    assert s.shape == () and (s + s).shape == ()
    y = ng.reshape(x, (-1,))
    y[3] = s
    np.testing.assert_array_equal(ng.to_numpy(x), [0, 1, 2, -9, 4, 5])
    with pytest.raises(ValueError):
        ng.sort(s)


def test_views_alias_like_numpy(be, ref) -> None:
    host = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    dev = be.from_host(host, True)
    key = (slice(2, None, -1), 1, slice(0, 5, 2))
    v = be.slice_view(dev, key)
    hv = ref.slice_view(host.copy(), key)
    np.testing.assert_array_equal(be.to_host(v), hv)
    be.copy_into(v, np.float32(-1))
    expect = host.copy()
    expect[2::-1, 1, 0:5:2] = -1
    np.testing.assert_array_equal(be.to_host(dev), expect)
    p = be.permute(dev, (2, 0, 1))
    np.testing.assert_array_equal(be.to_host(p), expect.transpose(2, 0, 1))
    r = be.reshape(dev, (12, 5), None)
    be.copy_into(be.slice_view(r, (slice(0, 1, 1),)), np.float32(7))
    expect[0, 0, :] = 7
    np.testing.assert_array_equal(be.to_host(dev), expect)
    with pytest.raises(ValueError):
        be.reshape(p, (60,), False)
    flat = be.reshape(p, (60,), None)
    np.testing.assert_array_equal(be.to_host(flat), expect.transpose(2, 0, 1).reshape(60))
    b = be.broadcast_to(be.slice_view(dev, (0, 0)), (2, 5))
    np.testing.assert_array_equal(be.to_host(b), np.broadcast_to(expect[0, 0], (2, 5)))
    z = be.slice_view(dev, (1, 2, 3))
    assert z.shape == () and be.to_host(z) == expect[1, 2, 3]
    e = be.slice_view(dev, (slice(3, 3, 1),))
    assert e.shape == (0, 4, 5) and be.to_host(e).shape == (0, 4, 5)


def test_copy_into_overlap_and_broadcast(be) -> None:
    host = np.arange(10, dtype=np.int32)
    dev = be.from_host(host, True)
    be.copy_into(be.slice_view(dev, (slice(1, 10, 1),)), be.slice_view(dev, (slice(0, 9, 1),)))
    expect = host.copy()
    expect[1:] = host[:-1].copy()
    np.testing.assert_array_equal(be.to_host(dev), expect)
    m = be.from_host(np.zeros((3, 4), np.float64), True)
    be.copy_into(m, be.from_host(np.arange(4.0), True))
    np.testing.assert_array_equal(be.to_host(m), np.broadcast_to(np.arange(4.0), (3, 4)))


@pytest.mark.parametrize("src", ["float32", "float64", "int8", "int64", "uint64", "bool"])
def test_astype_matches_numpy(be, ref, src: str) -> None:
    host = (rng.standard_normal((4, 6)) * 100).astype(src)
    if src.startswith("float"):
        host.flat[:3] = [0.5, -0.5, -3.7]
    dev = be.from_host(host, True)
    for dst in ["bool", "int8", "uint8", "int32", "int64", "uint64", "float32", "float64"]:
        got = be.to_host(be.astype(dev, np.dtype(dst)))
        want = ref.astype(host, np.dtype(dst))
        if src.startswith("float") and dst.startswith("uint"):
            keep = host >= 0  # negative float to unsigned is platform-defined in C
            np.testing.assert_array_equal(got[keep], want[keep], err_msg=f"{src}->{dst}")
        else:
            np.testing.assert_array_equal(got, want, err_msg=f"{src}->{dst}")


def test_philox_bit_identical(be) -> None:
    for key, counter, n in [((0, 0), 0, 4), ((0xA4093822, 0x299F31D0), 0x243F6A88, 37),
                            ((1, 2), 2**32 - 3, 50), ((5, 6), 2**64 - 2, 13), ((9, 9), 3, 0)]:
        got = be.to_host(be.philox(key, counter, n))
        np.testing.assert_array_equal(got, philox_words(key, counter, n))
    # Random123's known answer for philox4x32_10 with zero key and zero counter
    got = be.to_host(be.philox((0, 0), 0, 4))
    assert got.dtype == np.uint32
    np.testing.assert_array_equal(got, np.array([0x6627E8D5, 0xE169C58D, 0xBC57AC4C,
                                                 0x9B00DBD8], np.uint32))


def test_synchronize_and_stats(be) -> None:
    be.synchronize()
    s = be.stats()
    assert "host_round_trips" in s and s["kernel_compiles"] >= 1


def test_threads_share_cached_kernels(be) -> None:
    """Concurrent launches of one cached kernel keep their own arguments."""
    from concurrent.futures import ThreadPoolExecutor

    def work(i: int) -> bool:
        host = np.full(1000, i, np.float32)
        d = be.from_host(host, True)
        out = be.to_host(be.binary("add", d, d))
        return bool(np.all(out == 2 * i))

    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(work, range(40)))
