"""The Layer base class, the parameter schema, and the registry of layer types.

A layer is an ordinary Python class with explicit ``forward`` and ``backward`` (as in
the paper's Sukiyaki2). It declares its JSON parameters in ``PARAMS`` (checked on load:
an unknown or ill-typed parameter raises ``ValueError`` naming the layer and the field),
infers its output shapes in ``setup`` and owns its weights (``self.weights``), their
gradients (``self.grads``) and non-trained state (``self.buffers``, e.g. running means).
Custom layers subclass ``Layer`` and use ``@register_layer``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

__all__ = ["Layer", "Spec", "Context", "register_layer", "layer_type", "layer_types",
           "LayerError", "pair", "Shape"]

Shape = tuple[int, ...]


class LayerError(ValueError):
    """A bad layer definition or input: names the layer and the field."""


@dataclass(frozen=True)
class Spec:
    """One JSON parameter: its kind, default, the other names it may be written as.

    kinds: ``int`` ``posint`` ``nonneg`` ``float`` ``bool`` ``str`` ``pair`` (an int or
    two ints) ``ints`` (a list of ints) ``floats`` (a float or a list of floats)
    ``init`` (an initializer spec) ``int?`` (an int or null) ``any`` (recorded only).
    ``required`` params have no default; ``choices`` limits ``str`` values.
    """

    kind: str
    default: Any = None
    aliases: tuple[str, ...] = ()
    required: bool = False
    choices: tuple[str, ...] = ()
    doc: str = ""


def pair(value: Any) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; ``[2, 3]`` -> ``(2, 3)``."""
    if isinstance(value, (list, tuple)):
        return int(value[0]), int(value[1])
    return int(value), int(value)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _check_value(spec: Spec, value: Any) -> tuple[bool, str]:
    k = spec.kind
    if k == "any":
        return True, ""
    if k == "int":
        return _is_int(value), "an integer"
    if k == "int?":
        return value is None or _is_int(value), "an integer or null"
    if k == "posint":
        return _is_int(value) and value > 0, "a positive integer"
    if k == "nonneg":
        return _is_int(value) and value >= 0, "a non-negative integer"
    if k == "float":
        return _is_num(value), "a number"
    if k == "bool":
        return isinstance(value, bool), "true or false"
    if k == "str":
        ok = isinstance(value, str) and (not spec.choices or value in spec.choices)
        return ok, ("one of " + ", ".join(repr(c) for c in spec.choices)) if spec.choices else "a string"
    if k == "pair":
        ok = (_is_int(value) and value >= 0) or (
            isinstance(value, (list, tuple)) and len(value) == 2
            and all(_is_int(v) and v >= 0 for v in value))
        return ok, "a non-negative integer or a list of two"
    if k == "ints":
        return (isinstance(value, (list, tuple)) and all(_is_int(v) for v in value)), "a list of integers"
    if k == "floats":
        ok = _is_num(value) or (isinstance(value, (list, tuple)) and len(value) > 0
                                and all(_is_num(v) for v in value))
        return ok, "a number or a list of numbers"
    if k == "init":
        ok = isinstance(value, str) or (isinstance(value, dict) and isinstance(value.get("type"), str))
        return ok, 'an initializer name or {"type": name, ...}'
    raise TypeError(f"unknown parameter kind {k!r}")


@dataclass
class Context:
    """What a forward/backward pass needs besides its inputs: the phase and the RNG."""

    train: bool = True
    rng: Any = None


class Layer:
    """Base class of all layers (see the module docstring)."""

    #: the JSON type name; aliases are other names accepted for the same class
    type_name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    #: JSON parameter schema
    PARAMS: ClassVar[dict[str, Spec]] = {}
    #: allowed numbers of inputs / outputs (min, max); max None means unbounded
    n_inputs: ClassVar[tuple[int, int | None]] = (1, 1)
    n_outputs: ClassVar[tuple[int, int | None]] = (1, 1)
    #: roles in the network
    is_data: ClassVar[bool] = False
    is_loss: ClassVar[bool] = False
    is_metric: ClassVar[bool] = False

    def __init__(self, name: str, params: dict[str, Any] | None = None,
                 inputs: Sequence[str] = (), outputs: Sequence[str] = (),
                 phase: Sequence[str] | None = None, type_name: str | None = None) -> None:
        self.name = name
        self.written_type = type_name or self.type_name
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.phase = None if phase is None else tuple(phase)
        self.raw_params = dict(params or {})
        self.cfg = self.parse_params(self.raw_params)
        self._check_arity()
        #: trained parameters, their gradients and non-trained state (name -> Array)
        self.weights: dict[str, Any] = {}
        self.grads: dict[str, Any] = {}
        self.buffers: dict[str, Any] = {}
        #: name -> (shape, initializer spec, {"fan_in": .., "fan_out": ..}), set by ``setup``
        self.weight_specs: dict[str, tuple[Shape, Any, dict[str, int]]] = {}
        self.buffer_specs: dict[str, tuple[Shape, Any, dict[str, int]]] = {}
        self.in_shapes: list[Shape] = []
        self.out_shapes: list[Shape] = []
        #: per input: does backward need its gradient (set by the network)
        self.need_input_grad: list[bool] = [True] * len(self.inputs)

    # ------------------------------------------------------------------ definition
    def error(self, field_name: str, message: str) -> LayerError:
        """A ``ValueError`` naming this layer, its type and the field."""
        return LayerError(f"layer {self.name!r} ({self.written_type}): {field_name}: {message}")

    def parse_params(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Validate the JSON ``params`` against ``PARAMS``; return canonical names."""
        if not isinstance(raw, dict):
            raise self.error("params", f"must be an object, got {type(raw).__name__}")
        lookup: dict[str, str] = {}
        for canon, spec in self.PARAMS.items():
            lookup[canon] = canon
            for alias in spec.aliases:
                lookup[alias] = canon
        out: dict[str, Any] = {}
        seen_as: dict[str, str] = {}
        for key, value in raw.items():
            canon = lookup.get(key)
            if canon is None:
                known = ", ".join(sorted(lookup)) or "none"
                raise self.error(f"params.{key}", f"unknown parameter (known: {known})")
            if canon in seen_as:
                raise self.error(f"params.{key}", f"duplicates params.{seen_as[canon]}")
            ok, expected = _check_value(self.PARAMS[canon], value)
            if not ok:
                raise self.error(f"params.{key}", f"expected {expected}, got {value!r}")
            seen_as[canon] = key
            out[canon] = value
        for canon, spec in self.PARAMS.items():
            if canon not in out:
                if spec.required:
                    raise self.error(f"params.{canon}", "required parameter is missing")
                out[canon] = spec.default
        return out

    def _check_arity(self) -> None:
        for what, names, (lo, hi) in (("inputs", self.inputs, self.n_inputs),
                                      ("outputs", self.outputs, self.n_outputs)):
            if len(names) < lo or (hi is not None and len(names) > hi):
                want = str(lo) if lo == hi else (f"at least {lo}" if hi is None else f"{lo} to {hi}")
                raise self.error(what, f"expected {want} blob names, got {len(names)}")

    # ------------------------------------------------------------------ interface
    def setup(self, in_shapes: list[Shape]) -> list[Shape]:
        """Check the input shapes, declare weights, and return the output shapes."""
        raise NotImplementedError(f"{type(self).__name__} does not implement setup")

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        """Compute the outputs from the inputs (Arrays); keep what backward needs."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        """Gradients of the inputs from those of the outputs (None where an output got
        no gradient); set ``self.grads`` for each weight. Inputs without a gradient
        (labels) get None."""
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def release(self) -> None:
        """Drop what forward kept for backward (called after backward)."""

    def describe(self) -> str:
        """A short parameter description for the summary table."""
        return ""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.inputs}->{self.outputs}>"


_REGISTRY: dict[str, type[Layer]] = {}


def register_layer(cls: type[Layer]) -> type[Layer]:
    """Class decorator: make ``cls`` available under its ``type_name`` and aliases."""
    if not (isinstance(cls, type) and issubclass(cls, Layer)) or not cls.type_name:
        raise TypeError("register_layer needs a Layer subclass with a type_name")
    for name in (cls.type_name, *cls.aliases):
        other = _REGISTRY.get(name)
        if other is not None and other is not cls:
            raise ValueError(f"layer type {name!r} is already registered by {other.__name__}")
        _REGISTRY[name] = cls
    return cls


def layer_type(name: str) -> type[Layer]:
    """The class registered for type ``name`` (KeyError-free: ValueError listing types)."""
    cls = _REGISTRY.get(name)
    if cls is None:
        raise ValueError(f"unknown layer type {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    return cls


def layer_types() -> dict[str, type[Layer]]:
    """Every registered type name (aliases included) -> class."""
    return dict(_REGISTRY)
