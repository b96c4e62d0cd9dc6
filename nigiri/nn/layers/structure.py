"""Graph plumbing: ``flatten``, ``reshape``, ``concat``, ``add`` (``plus``), ``branch``."""

from __future__ import annotations

import math
from typing import Any

import nigiri as ng

from .base import Context, Layer, Shape, Spec, register_layer

__all__ = ["Flatten", "Reshape", "Concat", "Add", "Branch"]


@register_layer
class Flatten(Layer):
    """Merge the axes from ``start_axis`` on: ``[N, C, H, W] -> [N, C*H*W]``."""

    type_name = "flatten"
    PARAMS = {"start_axis": Spec("int", 1, aliases=("axis",))}

    def setup(self, in_shapes: list[Shape]) -> list[Shape]:
        shape = in_shapes[0]
        a = self.cfg["start_axis"]
        if not 1 <= a < max(len(shape), 2):
            raise self.error("params.start_axis", f"must be in 1..{len(shape) - 1} for an input "
                                                  f"of shape {shape}, got {a}")
        return [shape[:a] + (math.prod(shape[a:]),)]

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        x = xs[0]
        self._shape = tuple(x.shape)
        a = self.cfg["start_axis"]
        return [ng.reshape(x, self._shape[:a] + (-1,))]

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        return [ng.reshape(dys[0], self._shape)]


@register_layer
class Reshape(Layer):
    """Reshape each sample to ``shape`` (one entry may be -1)."""

    type_name = "reshape"
    PARAMS = {"shape": Spec("ints", required=True)}

    def setup(self, in_shapes: list[Shape]) -> list[Shape]:
        shape = in_shapes[0]
        target = list(self.cfg["shape"])
        size = math.prod(shape[1:])
        if target.count(-1) > 1 or any(d < -1 or d == 0 for d in target):
            raise self.error("params.shape", f"entries must be positive, with at most one -1; "
                                             f"got {target}")
        if -1 in target:
            rest = math.prod(d for d in target if d != -1)
            if size % rest:
                raise self.error("params.shape", f"{target} cannot hold {size} values")
            target[target.index(-1)] = size // rest
        if math.prod(target) != size:
            raise self.error("params.shape", f"{target} holds {math.prod(target)} values, the "
                                             f"input {self.inputs[0]!r} has {size}")
        self.target = tuple(target)
        return [(shape[0],) + self.target]

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        self._shape = tuple(xs[0].shape)
        return [ng.reshape(xs[0], (self._shape[0],) + self.target)]

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        return [ng.reshape(dys[0], self._shape)]


@register_layer
class Concat(Layer):
    """Concatenate the inputs along ``axis`` (default 1, channels)."""

    type_name = "concat"
    n_inputs = (1, None)
    PARAMS = {"axis": Spec("int", 1), "n_input": Spec("int?", None, doc="checked when given")}

    def setup(self, in_shapes: list[Shape]) -> list[Shape]:
        if self.cfg["n_input"] is not None and self.cfg["n_input"] != len(in_shapes):
            raise self.error("params.n_input", f"is {self.cfg['n_input']} but the layer has "
                                               f"{len(in_shapes)} inputs")
        nd = len(in_shapes[0])
        a = self.cfg["axis"]
        if not 1 <= a % max(nd, 1) < nd or not -nd <= a < nd:
            raise self.error("params.axis", f"must be a non-batch axis of the {nd}-d inputs, got {a}")
        self.axis = a % nd
        for name, s in zip(self.inputs, in_shapes):
            if len(s) != nd or any(s[i] != in_shapes[0][i] for i in range(nd) if i != self.axis):
                raise self.error("inputs", f"{name!r} has shape {s}, incompatible with "
                                           f"{in_shapes[0]} along axes other than {self.axis}")
        out = list(in_shapes[0])
        out[self.axis] = sum(s[self.axis] for s in in_shapes)
        return [tuple(out)]

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        self._sizes = [x.shape[self.axis] for x in xs]
        return [ng.concat(list(xs), axis=self.axis)]

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        dy, out, start = dys[0], [], 0
        for size in self._sizes:
            key = (slice(None),) * self.axis + (slice(start, start + size),)
            out.append(dy[key])
            start += size
        return out


@register_layer
class Add(Layer):
    """Element-wise sum of the inputs (residual merges); Sukiyaki2 calls it ``plus``."""

    type_name = "add"
    aliases = ("plus", "eltwise_sum")
    n_inputs = (2, None)
    PARAMS = {"n_input": Spec("int?", None, doc="checked when given")}

    def setup(self, in_shapes: list[Shape]) -> list[Shape]:
        if self.cfg["n_input"] is not None and self.cfg["n_input"] != len(in_shapes):
            raise self.error("params.n_input", f"is {self.cfg['n_input']} but the layer has "
                                               f"{len(in_shapes)} inputs")
        for name, s in zip(self.inputs[1:], in_shapes[1:]):
            if s != in_shapes[0]:
                raise self.error("inputs", f"{name!r} has shape {s} but {self.inputs[0]!r} has "
                                           f"{in_shapes[0]}; add needs equal shapes")
        return [in_shapes[0]]

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        y = xs[0] + xs[1]
        for x in xs[2:]:
            y = y + x
        return [y]

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        return [dys[0]] * len(self.inputs)


@register_layer
class Branch(Layer):
    """Sukiyaki2's ``branch``: one blob fed to several layers (copies share storage;
    backward sums the gradients of the copies)."""

    type_name = "branch"
    n_outputs = (1, None)
    PARAMS = {"n_output": Spec("int?", None, doc="checked when given")}

    def setup(self, in_shapes: list[Shape]) -> list[Shape]:
        if self.cfg["n_output"] is not None and self.cfg["n_output"] != len(self.outputs):
            raise self.error("params.n_output", f"is {self.cfg['n_output']} but the layer has "
                                                f"{len(self.outputs)} outputs")
        return [in_shapes[0]] * len(self.outputs)

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        return [xs[0]] * len(self.outputs)

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        grads = [d for d in dys if d is not None]
        total = grads[0]
        for g in grads[1:]:
            total = total + g
        return [total]
