"""Creation functions, Hypothesis broadcasting against NumPy, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp

import nigiri as ng
from nigiri.cli import main


@settings(max_examples=150, deadline=None)
@given(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, max_side=4))
def test_broadcasting_matches_numpy(shapes):
    arrays = [np.arange(int(np.prod(s)), dtype=np.float32).reshape(s) + i for i, s in enumerate(shapes.input_shapes)]
    x = [ng.asarray(a) for a in arrays]
    got = ng.where(x[0] > 2, x[1], x[2])
    ref = np.where(arrays[0] > 2, arrays[1], arrays[2])
    assert got.shape == ref.shape == shapes.result_shape
    np.testing.assert_array_equal(ng.to_numpy(got), ref)
    np.testing.assert_array_equal(ng.to_numpy(x[0] * x[1] - x[2]), arrays[0] * arrays[1] - arrays[2])
    assert [b.shape for b in ng.broadcast_arrays(*x)] == [shapes.result_shape] * 3


def test_arange_linspace_match_numpy():
    np.testing.assert_array_equal(ng.to_numpy(ng.arange(5)), np.arange(5))
    np.testing.assert_array_equal(ng.to_numpy(ng.arange(2, 11, 3)), np.arange(2, 11, 3))
    np.testing.assert_array_equal(ng.to_numpy(ng.arange(5, 0, -2)), np.arange(5, 0, -2))
    np.testing.assert_allclose(ng.to_numpy(ng.arange(0.0, 1.0, 0.25)), np.arange(0, 1, 0.25, dtype=np.float32))
    assert ng.arange(3, 3).shape == (0,)
    with pytest.raises(ValueError, match="step"):
        ng.arange(0, 3, 0)
    lin = ng.to_numpy(ng.linspace(0.0, 1.0, 11))
    np.testing.assert_allclose(lin, np.linspace(0, 1, 11, dtype=np.float32), rtol=1e-6)
    assert lin[-1] == 1.0
    np.testing.assert_allclose(ng.to_numpy(ng.linspace(0, 1, 4, endpoint=False)), [0, 0.25, 0.5, 0.75])
    assert ng.linspace(0, 1, 0).shape == (0,)


def test_full_eye_tri_meshgrid_like():
    assert ng.full((2, 2), 7).dtype == ng.int64
    assert ng.full((2,), True).dtype == ng.bool
    assert ng.full((2,), 1.5, dtype=ng.float64).dtype == ng.float64
    with pytest.raises(TypeError, match="float"):
        ng.full((2,), 1.5, dtype=ng.int32)
    with pytest.raises(ValueError, match="negative"):
        ng.zeros((2, -1))
    with pytest.raises(TypeError, match="shape"):
        ng.zeros("3")
    np.testing.assert_array_equal(ng.to_numpy(ng.eye(3, 4, k=1)), np.eye(3, 4, k=1))
    np.testing.assert_array_equal(ng.to_numpy(ng.eye(2, dtype=ng.int8)), np.eye(2, dtype=np.int8))
    a = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(ng.to_numpy(ng.tril(ng.asarray(a), k=-1)), np.tril(a, -1))
    np.testing.assert_array_equal(ng.to_numpy(ng.triu(ng.asarray(a), k=1)), np.triu(a, 1))
    gx, gy = ng.meshgrid(ng.arange(3), ng.arange(2))
    nx, ny = np.meshgrid(np.arange(3), np.arange(2))
    np.testing.assert_array_equal(ng.to_numpy(gx), nx)
    np.testing.assert_array_equal(ng.to_numpy(gy), ny)
    ix, iy = ng.meshgrid(ng.arange(3), ng.arange(2), indexing="ij")
    assert ix.shape == (3, 2)
    z = ng.zeros_like(ng.ones((2, 3), dtype=ng.int16))
    assert z.dtype == ng.int16 and z.shape == (2, 3)
    assert ng.full_like(z, 4).dtype == ng.int16
    assert ng.empty_like(z, dtype=ng.float32).dtype == ng.float32
    assert ng.ones_like(z, device="fake:0").device == "fake:0"


def test_namespace_is_complete():
    required = """abs acos acosh add all any arange argmax argmin argsort asarray asin asinh astype
    atan atan2 atanh bitwise_and bitwise_invert bitwise_left_shift bitwise_or bitwise_right_shift
    bitwise_xor broadcast_arrays broadcast_to can_cast ceil clip concat conj copysign cos cosh
    count_nonzero cumulative_sum diff divide empty empty_like equal exp expand_dims expm1 eye finfo flip
    floor floor_divide from_dlpack full full_like greater greater_equal hypot iinfo imag isdtype
    isfinite isinf isnan less less_equal linspace log log10 log1p log2 logaddexp logical_and
    logical_not logical_or logical_xor matmul matrix_transpose max maximum mean meshgrid min minimum
    moveaxis multiply negative nextafter nonzero not_equal ones ones_like permute_dims positive pow
    prod real remainder repeat reshape result_type roll round searchsorted sign signbit sin sinh sort
    sqrt square squeeze stack std subtract sum take tan tanh tensordot tile tril triu trunc
    unique_all unique_counts unique_inverse unique_values unstack var vecdot where zeros zeros_like
    cumulative_prod""".split()
    missing = [n for n in required if not hasattr(ng, n)]
    assert not missing, missing
    linalg = """cholesky cross det diagonal eigh eigvalsh inv matmul matrix_norm matrix_power
    matrix_rank matrix_transpose outer pinv qr slogdet solve svd svdvals tensordot trace vecdot
    vector_norm""".split()
    assert not [n for n in linalg if not hasattr(ng.linalg, n)]
    assert ng.ones(1).__array_namespace__() is ng
    assert set(ng.__all__) <= set(dir(ng))


def test_cli_backends_text_and_json(capsys):
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    assert "numpy: available" in out
    assert "cupy:" in out and ("unavailable" in out or "available" in out)
    assert main(["backends", "--json"]) == 0
    recs = json.loads(capsys.readouterr().out)
    assert {r["backend"] for r in recs} >= {"numpy", "numba", "opencl", "cupy"}


def test_console_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "nigiri", "backends"], capture_output=True, text=True)
    assert out.returncode == 0 and "numpy" in out.stdout
