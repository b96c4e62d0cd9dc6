"""8-bit gradient compression: error bound, sizes, error feedback."""

from __future__ import annotations

import numpy as np
import pytest

from nigiri.distributed.compress import (BLOCK, ErrorFeedback, Int8Tensor, check_compress,
                                         dequantize_int8, payload_bytes, quantize_int8)


@pytest.mark.parametrize("shape", [(7,), (1024,), (3, 1000), (20, 1, 5, 5), ()])
def test_roundtrip_error_is_at_most_half_a_step(shape):
    rng = np.random.default_rng(1)
    g = (rng.standard_normal(shape) * rng.uniform(1e-4, 10)).astype(np.float32)
    t, err = quantize_int8(g)
    assert t.q.dtype == np.int8 and t.scale.dtype == np.float32
    back = dequantize_int8(t)
    assert back.shape == g.shape and back.dtype == np.float32
    # per block: |g - deq| <= scale / 2 (round to nearest), plus float32 rounding
    flat = g.reshape(-1)
    scales = np.repeat(t.scale, BLOCK)[:flat.size]
    assert np.all(np.abs(flat - back.reshape(-1)) <= scales * 0.5 * (1 + 1e-5) + 1e-30)
    np.testing.assert_array_equal(err, g - back)


def test_zero_block_and_outliers_per_block():
    g = np.zeros(3 * BLOCK, np.float32)
    g[BLOCK + 5] = 1000.0  # an outlier only coarsens its own block
    g[2 * BLOCK:] = 1e-3
    t, _ = quantize_int8(g)
    back = dequantize_int8(t)
    assert t.scale[0] == 0 and np.all(back[:BLOCK] == 0)
    assert back[BLOCK + 5] == pytest.approx(1000.0)
    np.testing.assert_allclose(back[2 * BLOCK:], 1e-3, rtol=1e-6)


def test_about_four_times_fewer_bytes():
    g = np.ones((500, 800), np.float32)
    t, _ = quantize_int8(g)
    assert payload_bytes({"w": g}) / payload_bytes({"w": t}) > 3.98
    assert isinstance(t, Int8Tensor) and t.nbytes == 400_000 + 4 * t.scale.size


def test_error_feedback_loses_nothing_over_time():
    """Sent values plus the final residual add up to the true gradients' sum."""
    rng = np.random.default_rng(2)
    ef = ErrorFeedback()
    true = np.zeros(3000, np.float64)
    sent = np.zeros(3000, np.float64)
    for _ in range(50):
        g = (rng.standard_normal(3000) * 1e-3).astype(np.float32)
        true += g
        sent += dequantize_int8(ef.compress("w", g))
    np.testing.assert_allclose(sent + ef.residual["w"], true, atol=1e-6)
    # without feedback the error would grow like sqrt(steps); with it, it stays one step's
    assert np.max(np.abs(sent - true)) <= np.max(np.abs(ef.residual["w"])) + 1e-6


def test_bad_compress_value():
    with pytest.raises(ValueError, match="none, int8"):
        check_compress("fp16")
