"""npy/npz files, DLPack, pickling, to_numpy, __array__ and malformed files."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

import nigiri as ng


def test_npy_round_trip_every_dtype(tmp_path):
    for dt in (ng.bool, ng.int8, ng.uint16, ng.int64, ng.float16, ng.float32, ng.float64, ng.complex64):
        a = (np.arange(6).reshape(2, 3) % 2).astype(dt)
        p = tmp_path / f"a_{dt.name}.npy"
        ng.save(p, ng.asarray(a).mT)
        back = ng.load(p)
        assert back.dtype == dt
        np.testing.assert_array_equal(ng.to_numpy(back), a.T)
        assert np.load(p).dtype == a.dtype  # readable by NumPy itself


def test_npz_round_trip_and_device(tmp_path):
    p = tmp_path / "w.npz"
    ng.save(p, {"w": ng.ones((2, 2)), "b": ng.zeros(3, dtype=ng.int32)})
    out = ng.load(p, device="fake:0")
    assert set(out) == {"w", "b"} and out["w"].device == "fake:0"


def test_malformed_files_raise_value_error_naming_file(tmp_path):
    bad = tmp_path / "bad.npy"
    bad.write_bytes(b"\x93NUMPY\x01\x00garbage")
    with pytest.raises(ValueError, match="bad.npy.*malformed"):
        ng.load(bad)
    txt = tmp_path / "x.npy"
    txt.write_text("hello")
    with pytest.raises(ValueError, match="x.npy.*magic"):
        ng.load(txt)
    trunc = tmp_path / "t.npy"
    np.save(trunc, np.arange(100))
    trunc.write_bytes(trunc.read_bytes()[:-50])
    with pytest.raises(ValueError, match="t.npy"):
        ng.load(trunc)
    obj = tmp_path / "o.npy"
    np.save(obj, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="o.npy"):
        ng.load(obj)  # never unpickles
    with pytest.raises(FileNotFoundError):
        ng.load(tmp_path / "missing.npy")


def test_save_is_atomic(tmp_path, monkeypatch):
    p = tmp_path / "keep.npy"
    ng.save(p, ng.ones(3))

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        ng.save(p, ng.zeros(3))
    monkeypatch.undo()
    np.testing.assert_array_equal(ng.to_numpy(ng.load(p)), np.ones(3))
    assert [f for f in os.listdir(tmp_path) if f.endswith(".tmp")] == []


def test_dlpack_zero_copy_both_ways():
    a = np.arange(6, dtype=np.float32)
    x = ng.from_dlpack(a)
    a[0] = 42
    assert float(x[0]) == 42.0
    back = np.from_dlpack(x)
    assert np.shares_memory(back, a)  # zero-copy out as well
    assert x.__dlpack_device__() == (1, 0)
    y = ng.from_dlpack(a, device="fake:0")
    assert y.device == "fake:0"


def test_pickle_by_value_with_device():
    x = ng.asarray([[1.0, 2.0]], device="fake:1")
    y = pickle.loads(pickle.dumps(x))
    assert y.device == "fake:1"
    np.testing.assert_array_equal(ng.to_numpy(y), [[1.0, 2.0]])


def test_python_scalar_conversions_and_repr():
    # these check host-backend behaviour (zero-copy asarray, repr), so pin numpy
    with ng.use("numpy"):
        assert float(ng.asarray(2.5)) == 2.5
        assert int(ng.asarray([3])) == 3
        assert bool(ng.asarray(True)) is True
        assert complex(ng.asarray(1j)) == 1j
        assert [0, 1, 2][ng.asarray(1)] == 1
        with pytest.raises(TypeError, match="one-element"):
            float(ng.ones(3))
        with pytest.raises(TypeError, match="integer"):
            [0][ng.asarray(0.0)]
        assert "dtype=float32" in repr(ng.ones(2)) and "device='numpy'" in repr(ng.ones(2))
        assert np.asarray(ng.ones(2)).tolist() == [1.0, 1.0]


def test_asarray_copy_semantics_and_errors():
    # these check host-backend behaviour (zero-copy asarray, repr), so pin numpy
    with ng.use("numpy"):
        a = np.ones(3, np.float32)
        x = ng.asarray(a)
        a[0] = 5
        assert float(x[0]) == 5  # copy=None: zero-copy on a host backend
        y = ng.asarray(a, copy=True)
        a[1] = 9
        assert float(y[1]) == 1
        with pytest.raises(ValueError, match="copy=False"):
            ng.asarray(a, dtype=ng.float64, copy=False)
        with pytest.raises(TypeError, match="cannot convert list"):
            ng.asarray([[1, 2], [3]])
        with pytest.raises(TypeError, match="dtype"):
            ng.asarray([1], dtype="float128")
        with pytest.raises(OverflowError):
            ng.asarray(2**70)
        z = ng.asarray(x, device="fake:0")
        assert z.device == "fake:0"


def test_asarray_copy_true_never_aliases_after_a_host_move():
    x = ng.asarray([1.0, 2.0])
    y = ng.asarray(x, device="fake:0", copy=True)
    z = ng.asarray(x, copy=True)
    z[0] = 9.0
    assert float(x[0]) == 1.0 and float(y[0]) == 1.0


def test_matrix_power_one_is_a_copy():
    x = ng.eye(2)
    p = ng.linalg.matrix_power(x, 1)
    p[0, 0] = 5.0
    assert float(x[0, 0]) == 1.0
