"""gpuArray/gather (with the fake accelerator of the test suite) and npy files."""

from __future__ import annotations

import numpy as np
import pytest

import nigiri as ng
import nigiri.backends as registry
import nigiri.matlab as M
from nigiri.arrays import device as _device


def test_gpuarray_gather_follow_ng_use(check, dev):
    acc = "fake:1" if str(dev) == "fake:0" else "fake:0"  # an accelerator unlike the test device
    H = M.reshape(M.colon(1, 6), 2, 3)
    assert H.device == dev
    with ng.use(acc):
        assert str(M.accelerator()) == acc
        G = M.gpuArray(H)
    assert str(G.device) == acc and M.isgpuarray(G)
    check(G, [[1, 3, 5], [2, 4, 6]], "single")
    S = G * G.t() + 1                               # work stays on the device
    assert str(S.device) == acc
    back = M.gather(S)
    assert str(back.device) == "numpy" and not M.isgpuarray(back)
    # % MATLAB: gather(gpuArray(A) * gpuArray(A).' + 1) -> [36 45; 45 57]
    check(back, [[36, 45], [45, 57]])
    with pytest.raises(ValueError, match="different devices"):
        H + G
    with pytest.raises(ValueError, match="different devices"):
        M.cat(1, H, G)
    with pytest.raises(ValueError, match="different devices"):
        H * G
    with pytest.raises(ValueError, match=acc):
        G.set(1, 1, M.Matrix(5, device="numpy"))
    G.set(1, 1, 100)                                # Python values move to the device
    check(G.get(1, 1), [[100]])
    check(H.get(1, 1), [[1]])                       # the source is untouched


def test_gpuarray_auto_accelerator(monkeypatch):
    _device.reset_state()                           # no ng.use in effect
    monkeypatch.delenv("NIGIRI_BACKEND", raising=False)
    monkeypatch.setattr(registry, "AUTO_ORDER", (("fake", "gpu"), ("numba", None), ("numpy", None)))
    G = M.gpuArray(M.Matrix([1, 2], device="numpy"))
    assert str(G.device) == "fake:0"
    monkeypatch.setattr(registry, "AUTO_ORDER", (("numba", None), ("numpy", None)))
    with pytest.raises(ng.BackendUnavailableError, match="no accelerator"):
        M.gpuArray(M.Matrix([1, 2], device="numpy"))


def test_device_without_float64(check):
    with ng.use("fake:1"):                          # fake:1 holds no float64
        A = M.Matrix([3, 9, 4])
        m, i = M.max(A, nargout=2)
        assert i.klass == "int32"                   # index outputs fall back to int32
        check(i, [[2]])
        check(M.uint8(200) + 100, [[255]], "uint8")
        check(M.find(A > 3), [[2, 3]], "int32")
        check(M.sum(A > 3), [[2]], "single")        # MATLAB's double results fall back to single
        check(M.logical(1) + M.logical(1), [[2]], "single")
        with pytest.raises(TypeError):
            M.zeros(2, "double")


def test_npy_write_layout(tmp_path, check):
    A = M.reshape(M.colon(1, 6), 2, 3)
    path = tmp_path / "a.npy"
    M.npy_write(path, A)
    x = np.load(path)
    # file[i, j] == A(i+1, j+1);  % MATLAB: reshape(1:6, 2, 3) -> [1 3 5; 2 4 6]
    assert x.shape == (2, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(x, [[1, 3, 5], [2, 4, 6]])
    B = M.reshape(M.colon(1, 24, klass="int32"), 2, 3, 4)
    M.npy_write(tmp_path / "b.npy", B)
    y = np.load(tmp_path / "b.npy")
    assert y.shape == (2, 3, 4) and y.dtype == np.int32
    assert y[1, 2, 3] == 24                         # % MATLAB: B(2, 3, 4) -> 24
    check(M.npy_read(tmp_path / "b.npy"), B.to_numpy(), "int32")


@pytest.mark.usefixtures("float64")
def test_npy_read_orders_and_shapes(tmp_path, check):
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    np.save(tmp_path / "c.npy", x)
    np.save(tmp_path / "f.npy", np.asfortranarray(x))
    check(M.npy_read(tmp_path / "c.npy"), x, "double")
    check(M.npy_read(tmp_path / "f.npy"), x, "double")
    np.save(tmp_path / "v.npy", np.array([1, 2, 3], dtype=np.uint8))
    check(M.npy_read(tmp_path / "v.npy"), [[1, 2, 3]], "uint8")   # 1-d -> row vector
    np.save(tmp_path / "s.npy", np.array(7.0, dtype=np.float32))
    check(M.npy_read(tmp_path / "s.npy"), [[7]], "single")
    (tmp_path / "bad.npy").write_bytes(b"not an npy file")
    with pytest.raises(ValueError, match="bad.npy"):
        M.npy_read(tmp_path / "bad.npy")
    np.savez(tmp_path / "z.npz", a=x)
    with pytest.raises(ValueError, match="npz"):
        M.npy_read(tmp_path / "z.npz")
    with pytest.raises(TypeError):
        M.npy_write(3, M.zeros(1))
