"""Named weight initializers (host NumPy, float32), seeded per layer.

A spec is a name (``"xavier"``) or an object (``{"type": "normal", "std": 0.01}``).
Values are drawn on the host with NumPy's PCG64 seeded from the network seed and the
layer name, so a network initialises identically on every backend and adding a layer
does not change the others.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np

__all__ = ["initialize", "INITIALIZERS", "layer_rng", "check_init"]

# name -> allowed keys (besides "type")
INITIALIZERS: dict[str, tuple[str, ...]] = {
    "zeros": (), "ones": (), "constant": ("value",),
    "normal": ("mean", "std"), "uniform": ("low", "high"),
    "xavier_uniform": ("gain",), "glorot_uniform": ("gain",),
    "xavier_normal": ("gain",), "glorot_normal": ("gain",),
    "xavier": (),  # Caffe's "xavier" filler: U(-sqrt(3/fan_in), +sqrt(3/fan_in))
    "kaiming_normal": ("mode", "gain"), "he_normal": ("mode", "gain"),
    "kaiming_uniform": ("mode", "gain"), "he_uniform": ("mode", "gain"),
    "default": (),  # PyTorch's default for conv/linear: U(-1/sqrt(fan_in), +1/sqrt(fan_in))
}


def _parse(spec: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(spec, str):
        name, opts = spec, {}
    elif isinstance(spec, dict) and isinstance(spec.get("type"), str):
        name, opts = spec["type"], {k: v for k, v in spec.items() if k != "type"}
    else:
        raise ValueError(f'expected an initializer name or {{"type": name, ...}}, got {spec!r}')
    if name not in INITIALIZERS:
        raise ValueError(f"unknown initializer {name!r}; known: {', '.join(sorted(INITIALIZERS))}")
    for key, value in opts.items():
        if key not in INITIALIZERS[name]:
            allowed = ", ".join(INITIALIZERS[name]) or "none"
            raise ValueError(f"initializer {name!r} has no option {key!r} (options: {allowed})")
        if key == "mode":
            if value not in ("fan_in", "fan_out"):
                raise ValueError(f"initializer {name!r}: mode must be 'fan_in' or 'fan_out', got {value!r}")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"initializer {name!r}: {key} must be a number, got {value!r}")
    if name in ("normal",) and opts.get("std", 1.0) < 0:
        raise ValueError(f"initializer 'normal': std must be >= 0, got {opts['std']}")
    return name, opts


def check_init(spec: Any) -> None:
    """Raise ``ValueError`` if ``spec`` is not a valid initializer spec."""
    _parse(spec)


def layer_rng(seed: int, layer_name: str, param_name: str) -> np.random.Generator:
    """The generator for one parameter: a stable function of seed, layer and name."""
    tag = zlib.crc32(f"{layer_name}/{param_name}".encode())
    return np.random.Generator(np.random.PCG64([int(seed) & 0xFFFFFFFF, tag]))


def initialize(spec: Any, shape: tuple[int, ...], rng: np.random.Generator,
               fan_in: int = 1, fan_out: int = 1) -> np.ndarray:
    """Draw an array of ``shape`` (float32) from the initializer ``spec``."""
    name, o = _parse(spec)
    fan_in, fan_out = max(int(fan_in), 1), max(int(fan_out), 1)
    if name == "zeros":
        return np.zeros(shape, np.float32)
    if name == "ones":
        return np.ones(shape, np.float32)
    if name == "constant":
        return np.full(shape, float(o.get("value", 0.0)), np.float32)
    if name == "normal":
        out = rng.normal(float(o.get("mean", 0.0)), float(o.get("std", 0.01)), shape)
    elif name == "uniform":
        low, high = float(o.get("low", -0.05)), float(o.get("high", 0.05))
        out = rng.uniform(low, high, shape)
    elif name in ("xavier_uniform", "glorot_uniform"):
        a = float(o.get("gain", 1.0)) * math.sqrt(6.0 / (fan_in + fan_out))
        out = rng.uniform(-a, a, shape)
    elif name in ("xavier_normal", "glorot_normal"):
        out = rng.normal(0.0, float(o.get("gain", 1.0)) * math.sqrt(2.0 / (fan_in + fan_out)), shape)
    elif name == "xavier":
        a = math.sqrt(3.0 / fan_in)
        out = rng.uniform(-a, a, shape)
    elif name in ("kaiming_normal", "he_normal", "kaiming_uniform", "he_uniform"):
        fan = fan_out if o.get("mode", "fan_in") == "fan_out" else fan_in
        std = float(o.get("gain", math.sqrt(2.0))) / math.sqrt(fan)
        if name.endswith("normal"):
            out = rng.normal(0.0, std, shape)
        else:
            out = rng.uniform(-math.sqrt(3.0) * std, math.sqrt(3.0) * std, shape)
    else:  # default
        a = 1.0 / math.sqrt(fan_in)
        out = rng.uniform(-a, a, shape)
    return np.asarray(out, np.float32)
