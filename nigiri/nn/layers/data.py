"""Data layers: the network's inputs, and seeded data augmentation.

``data`` (Sukiyaki2 names ``mnist_data``, ``blob_data``) receives the batch the
trainer feeds (raw images, e.g. uint8, and integer labels) and turns the images into
float32 on the device: ``(x * scale - mean) / std`` (per channel when lists are given).
Its inputs, if any (Sukiyaki2 writes ``"inputs": ["batch"]``), are ignored: data layers
are the sources of the graph. ``data_augmentation`` crops (with zero padding) and flips
at random in the train phase and center-crops in the test phase.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nigiri as ng

from .base import Context, Layer, Shape, Spec, register_layer

__all__ = ["Data", "DataAugmentation"]


def _per_channel(value: Any, c: int, layer: Layer, field: str) -> np.ndarray:
    vals = np.atleast_1d(np.asarray(value, np.float64))
    if vals.size not in (1, c):
        raise layer.error(f"params.{field}", f"expected one value or {c} (one per channel), "
                                             f"got {vals.size}")
    return vals


@register_layer
class Data(Layer):
    """Input layer: outputs ``[data]`` or ``[data, label]``."""

    type_name = "data"
    aliases = ("mnist_data", "blob_data")
    n_inputs = (0, 1)
    n_outputs = (1, 2)
    is_data = True
    PARAMS = {
        "shape": Spec("ints", None, doc="per-sample shape, channels first: [C, H, W]"),
        "data_shape": Spec("ints", None, doc="Sukiyaki2's per-sample shape [H, W, C]"),
        "scale": Spec("float", 1.0, doc="multiplies the raw input first"),
        "mean": Spec("floats", 0.0, doc="subtracted after scaling (per channel or one)"),
        "std": Spec("floats", 1.0, doc="divides after subtracting the mean"),
        "label_shape": Spec("ints", [], doc="per-sample shape of the second output (targets)"),
        "file_prefix": Spec("any", None, doc="Sukiyaki2 blob file; data come from --data"),
        "data_klass": Spec("any", None, doc="Sukiyaki2 storage type; recorded only"),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shape, hwc = self.cfg["shape"], self.cfg["data_shape"]
        if shape is not None and hwc is not None:
            raise self.error("params.data_shape", "give either shape or data_shape, not both")
        if hwc is not None:
            if len(hwc) != 3:
                raise self.error("params.data_shape", f"expected [H, W, C], got {hwc}")
            shape = [hwc[2], hwc[0], hwc[1]]
        if shape is None:
            if self.written_type != "mnist_data":
                raise self.error("params.shape", "required parameter is missing")
            shape = [1, 28, 28]
        if not shape or any(d <= 0 for d in shape):
            raise self.error("params.shape", f"dimensions must be positive, got {shape}")
        self.sample_shape: Shape = tuple(int(d) for d in shape)
        c = self.sample_shape[0]
        self.mean = _per_channel(self.cfg["mean"], c, self, "mean")
        std = _per_channel(self.cfg["std"], c, self, "std")
        if np.any(std == 0):
            raise self.error("params.std", "must be non-zero")
        self.mul = float(self.cfg["scale"]) / std
        self.add = -self.mean / std
        self.batch_size = 1
        self._consts: dict[Any, tuple[Any, Any]] = {}

    def setup(self, in_shapes: list[Shape]) -> list[Shape]:
        shapes = [(self.batch_size,) + self.sample_shape]
        if len(self.outputs) == 2:
            shapes.append((self.batch_size,) + tuple(self.cfg["label_shape"]))
        return shapes

    def describe(self) -> str:
        return "x".join(str(d) for d in self.sample_shape)

    def _affine(self, x: Any) -> tuple[Any, Any]:
        key = (x.device, x.ndim)
        consts = self._consts.get(key)
        if consts is None:
            shp = (1, -1) + (1,) * (x.ndim - 2) if self.mul.size > 1 else ()
            consts = tuple(ng.asarray(v.astype(np.float32).reshape(shp) if shp else
                                      np.float32(v[0]), device=x.device)
                           for v in (self.mul, self.add))
            self._consts[key] = consts
        return consts

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        x = xs[0]
        if tuple(x.shape[1:]) != self.sample_shape:
            if x.ndim == len(self.sample_shape) and self.sample_shape[0] == 1 \
                    and tuple(x.shape[1:]) == self.sample_shape[1:]:
                x = ng.reshape(x, (x.shape[0],) + self.sample_shape)
            else:
                raise self.error("inputs", f"expected samples of shape {self.sample_shape}, "
                                           f"got a batch of shape {tuple(x.shape)}")
        if x.dtype != ng.float32:
            x = ng.astype(x, ng.float32)
        mul, add = self._affine(x)
        if self.mul.size > 1 or self.mul[0] != 1.0 or self.add[0] != 0.0:
            x = x * mul + add
        out = [x]
        if len(self.outputs) == 2:
            labels = xs[1] if len(xs) > 1 else None
            want = (x.shape[0],) + tuple(self.cfg["label_shape"])
            if labels is not None and tuple(labels.shape) != want:
                raise self.error("inputs", f"labels must have shape {want}, "
                                           f"got {tuple(labels.shape)}")
            out.append(labels)
        return out

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        return []


@register_layer
class DataAugmentation(Layer):
    """Random crop (after zero padding) and horizontal flip, train phase only."""

    type_name = "data_augmentation"
    PARAMS = {
        "out_shape": Spec("ints", None, doc="crop size [H, W] (default: the input size)"),
        "padding": Spec("nonneg", 0, aliases=("pad", "crop_padding"), doc="zero padding before cropping"),
        "random_crop": Spec("bool", True),
        "random_flip": Spec("bool", False),
        "scale": Spec("float", 1.0, doc="multiplies the output"),
        "input_klass": Spec("any", None, doc="Sukiyaki2 input type; recorded only"),
    }

    def setup(self, in_shapes: list[Shape]) -> list[Shape]:
        shape = in_shapes[0]
        if len(shape) != 4:
            raise self.error("inputs", f"expected an NCHW input, got shape {shape}")
        n, c, h, w = shape
        out = self.cfg["out_shape"]
        if out is None:
            out = [h, w]
        if len(out) != 2 or out[0] <= 0 or out[1] <= 0:
            raise self.error("params.out_shape", f"expected [H, W] of positive sizes, got {out}")
        p = self.cfg["padding"]
        if out[0] > h + 2 * p or out[1] > w + 2 * p:
            raise self.error("params.out_shape", f"crop {out} is larger than the padded input "
                                                 f"{[h + 2 * p, w + 2 * p]}")
        self.crop = (int(out[0]), int(out[1]))
        return [(n, c) + self.crop]

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        x = xs[0]
        n, c, h, w = x.shape
        p = self.cfg["padding"]
        ch, cw = self.crop
        if x.dtype != ng.float32:
            x = ng.astype(x, ng.float32)
        hp, wp = h + 2 * p, w + 2 * p
        if p:
            xp = ng.zeros((n, c, hp, wp), dtype=x.dtype, device=x.device)
            xp[:, :, p:p + h, p:p + w] = x
        else:
            xp = x
        random = ctx.train and ctx.rng is not None
        if not random or not (self.cfg["random_crop"] or self.cfg["random_flip"]):
            oy, ox = (hp - ch) // 2, (wp - cw) // 2
            y = xp[:, :, oy:oy + ch, ox:ox + cw]
        else:
            dev = x.device
            if self.cfg["random_crop"]:
                oy = ctx.rng.integers(0, hp - ch + 1, (n,))
                ox = ctx.rng.integers(0, wp - cw + 1, (n,))
            else:
                oy = ng.full((n,), (hp - ch) // 2, dtype=ng.int64, device=dev)
                ox = ng.full((n,), (wp - cw) // 2, dtype=ng.int64, device=dev)
            ar_h = ng.arange(ch, dtype=ng.int64, device=dev)
            ar_w = ng.arange(cw, dtype=ng.int64, device=dev)
            rows = ng.reshape(oy, (n, 1)) + ng.reshape(ar_h, (1, ch))
            cols = ng.reshape(ox, (n, 1)) + ng.reshape(ar_w, (1, cw))
            if self.cfg["random_flip"]:
                flip = ctx.rng.bernoulli(0.5, (n,))
                rev = ng.reshape(ox, (n, 1)) + ng.reshape(ar_w[::-1], (1, cw))
                cols = ng.where(ng.reshape(flip, (n, 1)), rev, cols)
            ni = ng.reshape(ng.arange(n, dtype=ng.int64, device=dev), (n, 1, 1, 1))
            ci = ng.reshape(ng.arange(c, dtype=ng.int64, device=dev), (1, c, 1, 1))
            y = xp[ni, ci, ng.reshape(rows, (n, 1, ch, 1)), ng.reshape(cols, (n, 1, 1, cw))]
        if self.cfg["scale"] != 1.0:
            y = y * float(self.cfg["scale"])
        return [y]

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        return [None]
