"""Networks defined in JSON: a DAG of layers, shape inference, forward and backward.

A definition is a list of layer records ``{type, name, inputs, outputs, params,
phase}`` (the paper's Sukiyaki2 format), or an object ``{"name", "layers": [...],
"output", "recipe", "description"}`` whose ``recipe`` holds the default training
settings of a zoo entry. Loading parses JSON and looks type names up in the layer
registry: it never evaluates code. Records may be in any order; each phase
(``train``, ``test``) is ordered topologically. Mistakes raise ``ValueError`` naming
the layer and the field.
"""

from __future__ import annotations

import copy
import heapq
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

import nigiri as ng
from nigiri.arrays.device import device_of, resolve_device

from .init import initialize, layer_rng
from .layers.base import Context, Layer, LayerError, layer_type

__all__ = ["Network", "PHASES", "load_definition"]

PHASES = ("train", "test")
_RECORD_KEYS = {"type", "name", "inputs", "outputs", "params", "phase", "comment"}
_TOP_KEYS = {"name", "layers", "output", "recipe", "description", "input_shape"}


@dataclass
class _Plan:
    """One phase: layer order, blob shapes, and which gradients backward needs."""

    order: list[Layer]
    shapes: dict[str, tuple[int, ...]]
    need_grad: dict[str, list[bool]]
    data_layers: list[Layer]
    loss_layers: list[Layer]
    producer: dict[str, Layer] = field(default_factory=dict)


def load_definition(source: Any) -> dict[str, Any]:
    """Normalise a network definition to ``{"name", "layers", ...}``.

    ``source``: a list of records, a definition object, a path to a JSON file, a zoo
    name, or JSON text.
    """
    name = None
    if isinstance(source, (str, os.PathLike)):
        text = str(source)
        path = Path(text)
        if isinstance(source, str) and text.lstrip().startswith(("[", "{")):
            try:
                raw = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"network definition is not valid JSON ({exc})") from None
        elif path.suffix == ".json" or path.is_file():
            try:
                raw = json.loads(path.read_text())
            except FileNotFoundError:
                raise FileNotFoundError(f"network file {path} does not exist") from None
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: not valid JSON ({exc})") from None
            name = path.stem
        else:
            from .zoo import zoo_definition

            raw = zoo_definition(text)
            name = text
    else:
        raw = copy.deepcopy(source)
    if isinstance(raw, list):
        raw = {"layers": raw}
    if not isinstance(raw, dict):
        raise ValueError(f"network definition must be a list of layers or an object, got "
                         f"{type(raw).__name__}")
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise ValueError(f"network definition: unknown key(s) {sorted(unknown)} (known: "
                         f"{sorted(_TOP_KEYS)})")
    if not isinstance(raw.get("layers"), list) or not raw["layers"]:
        raise ValueError("network definition: 'layers' must be a non-empty list of layer records")
    raw.setdefault("name", name or "network")
    return raw


def _build_layer(i: int, rec: Any) -> Layer:
    where = f"layer #{i}"
    if not isinstance(rec, dict):
        raise ValueError(f"{where}: a layer record must be an object, got {type(rec).__name__}")
    name = rec.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}: name: required, a non-empty string")
    where = f"layer {name!r}"
    extra = set(rec) - _RECORD_KEYS
    if extra:
        raise ValueError(f"{where}: unknown field(s) {sorted(extra)} (known: {sorted(_RECORD_KEYS)})")
    typ = rec.get("type")
    if not isinstance(typ, str):
        raise ValueError(f"{where}: type: required, a string")
    try:
        cls = layer_type(typ)
    except ValueError as exc:
        raise ValueError(f"{where}: type: {exc}") from None
    blobs = {}
    for key in ("inputs", "outputs"):
        val = rec.get(key, [] if key == "inputs" else [name])
        if isinstance(val, str):
            val = [val]
        if not isinstance(val, list) or not all(isinstance(v, str) and v for v in val):
            raise ValueError(f"{where}: {key}: expected a list of blob names, got {val!r}")
        blobs[key] = val
    phase = rec.get("phase")
    if isinstance(phase, str):
        phase = [phase]
    if phase is not None and (not isinstance(phase, list) or not phase
                              or any(p not in PHASES for p in phase)):
        raise ValueError(f"{where}: phase: expected 'train', 'test' or a list of them, got "
                         f"{rec.get('phase')!r}")
    return cls(name, rec.get("params", {}) or {}, blobs["inputs"], blobs["outputs"], phase,
               type_name=typ)


class Network:
    """A network of layers on one device.

    Build with ``Network.from_json(...)``; run ``forward`` then ``backward``; weights
    are in ``params()`` (names ``layer.weight``) and gradients in ``grads``.
    """

    def __init__(self, definition: Any, *, device: Any = None, seed: int = 0,
                 batch_size: int = 1, input_shape: Sequence[int] | None = None,
                 weights: bool = True) -> None:
        self.definition = load_definition(definition)
        self.name: str = str(self.definition.get("name"))
        self.recipe: dict[str, Any] = dict(self.definition.get("recipe") or {})
        self.seed = int(seed)
        self.batch_size = int(batch_size)
        self.backend = resolve_device(device)
        self.layers: list[Layer] = [_build_layer(i, r) for i, r in enumerate(self.definition["layers"])]
        seen: dict[str, int] = {}
        for i, layer in enumerate(self.layers):
            if layer.name in seen:
                raise ValueError(f"layer {layer.name!r}: name: used twice (records #{seen[layer.name]} "
                                 f"and #{i})")
            seen[layer.name] = i
        self._by_name = {layer.name: layer for layer in self.layers}
        if input_shape is None:
            input_shape = self.definition.get("input_shape")
        if input_shape is not None:
            for layer in self.layers:
                if layer.is_data:
                    layer.sample_shape = tuple(int(d) for d in input_shape)
        self.plans = {phase: self._plan(phase) for phase in PHASES}
        self._check_weights_agree()
        #: the stream for dropout and augmentation (ng.random: same numbers on every backend)
        self.rng = ng.random.Generator(_rng_seed(self.seed), device=self.backend)
        self.grads: dict[str, Any] = {}
        if weights:
            self._init_weights()
        out = self.definition.get("output")
        if out is None:
            plan = self.plans["test"]
            out = (plan.loss_layers[0].inputs[0] if plan.loss_layers
                   else plan.order[-1].outputs[0])
        elif not isinstance(out, str) or out not in self.plans["test"].shapes:
            raise ValueError(f"network definition: output: {out!r} is not a blob of the test phase")
        self.output: str = out
        self._last: tuple[str, Context, list[Layer]] | None = None
        self._until: dict[tuple[str, str], list[Layer]] = {}
        self._seeds: dict[tuple[float, Any], Any] = {}

    # ----------------------------------------------------------------- building
    @classmethod
    def from_json(cls, source: Any, *, device: Any = None, seed: int = 0, batch_size: int = 1,
                  input_shape: Sequence[int] | None = None, weights: bool = True) -> "Network":
        """Build a network from a JSON file path, zoo name, JSON text, list or dict.

        ``input_shape`` overrides the data layers' per-sample shape; ``weights=False``
        only checks the graph and infers shapes (no memory for weights: ``summary``).
        """
        return cls(source, device=device, seed=seed, batch_size=batch_size,
                   input_shape=input_shape, weights=weights)

    def shapes(self, phase: str = "test") -> dict[str, tuple[int, ...]]:
        """Inferred shape of every blob of ``phase`` (batch = ``batch_size``)."""
        return dict(self.plans[phase].shapes)

    def _plan(self, phase: str) -> _Plan:
        active = [layer for layer in self.layers if layer.phase is None or phase in layer.phase]
        if not active:
            raise ValueError(f"network has no layers in the {phase} phase")
        producer: dict[str, Layer] = {}
        for layer in active:
            for blob in layer.outputs:
                if blob in producer:
                    raise ValueError(f"layer {layer.name!r}: outputs: blob {blob!r} is already "
                                     f"produced by layer {producer[blob].name!r} in the {phase} phase")
                producer[blob] = layer
        data = [layer for layer in active if layer.is_data]
        if not data:
            raise ValueError(f"network has no data layer in the {phase} phase (add a 'data' layer)")
        deps: dict[str, list[str]] = {}
        for layer in active:
            if layer.is_data:
                deps[layer.name] = []
                continue
            for blob in layer.inputs:
                if blob not in producer:
                    raise ValueError(f"layer {layer.name!r}: inputs: blob {blob!r} is not produced "
                                     f"by any layer in the {phase} phase")
            deps[layer.name] = [producer[b].name for b in layer.inputs]
        order = _toposort(active, deps, phase)
        shapes: dict[str, tuple[int, ...]] = {}
        need: dict[str, list[bool]] = {}
        requires: dict[str, bool] = {}
        for layer in order:
            if layer.is_data:
                layer.batch_size = self.batch_size
                in_shapes = []
            else:
                in_shapes = [shapes[b] for b in layer.inputs]
            try:
                outs = layer.setup(in_shapes)
            except LayerError:
                raise
            except (ValueError, TypeError, IndexError) as exc:
                raise ValueError(f"layer {layer.name!r} ({layer.written_type}): {exc}") from None
            if len(outs) != len(layer.outputs):
                raise ValueError(f"layer {layer.name!r} ({layer.written_type}): outputs: expected "
                                 f"{len(outs)} blob names, got {len(layer.outputs)}")
            layer.in_shapes, layer.out_shapes = in_shapes, list(outs)
            for blob, shp in zip(layer.outputs, outs):
                shapes[blob] = tuple(shp)
            if layer.is_data:
                flags: list[bool] = []
            else:
                flags = [requires[b] for b in layer.inputs]
            need[layer.name] = flags
            req = not layer.is_data and not layer.is_metric and (bool(layer.weight_specs) or any(flags))
            for blob in layer.outputs:
                requires[blob] = req
        losses = [layer for layer in order if layer.is_loss]
        return _Plan(order, shapes, need, data, losses, producer)

    def _check_weights_agree(self) -> None:
        # setup ran once per phase; a layer in both phases must declare the same weights
        self._weight_specs: dict[str, dict[str, Any]] = {}
        for phase in PHASES:
            for layer in self.plans[phase].order:
                specs = {k: v[0] for k, v in {**layer.weight_specs, **layer.buffer_specs}.items()}
                prev = self._weight_specs.get(layer.name)
                if prev is not None and prev != specs:
                    raise ValueError(f"layer {layer.name!r}: inputs: shapes differ between the train "
                                     f"and test phases, giving weights {prev} and {specs}")
                self._weight_specs[layer.name] = specs

    def _init_weights(self) -> None:
        be = self.backend
        for layer in self.layers:
            for store, specs in ((layer.weights, layer.weight_specs), (layer.buffers, layer.buffer_specs)):
                store.clear()
                for pname, (shape, spec, fans) in specs.items():
                    host = initialize(spec, shape, layer_rng(self.seed, layer.name, pname),
                                      fans.get("fan_in", 1), fans.get("fan_out", 1))
                    store[pname] = ng.asarray(host, device=be)

    # ----------------------------------------------------------------- access
    def layer(self, name: str) -> Layer:
        """The layer called ``name``."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no layer {name!r} in network {self.name!r}") from None

    def params(self) -> dict[str, Any]:
        """Trained parameters: ``{"layer.weight": Array, ...}`` in definition order."""
        return {f"{ly.name}.{k}": v for ly in self.layers for k, v in ly.weights.items()}

    def buffers(self) -> dict[str, Any]:
        """Non-trained state (running statistics): ``{"layer.running_mean": Array, ...}``."""
        return {f"{ly.name}.{k}": v for ly in self.layers for k, v in ly.buffers.items()}

    def state(self) -> dict[str, Any]:
        """Parameters and buffers together (what a weights file holds)."""
        return {**self.params(), **self.buffers()}

    def num_params(self) -> int:
        """Number of trained scalars."""
        return sum(math.prod(a.shape) for a in self.params().values())

    @property
    def device(self) -> Any:
        """The device holding the weights."""
        return device_of(self.backend)

    def to(self, device: Any) -> "Network":
        """Move weights and buffers to ``device`` (in place); returns self."""
        be = resolve_device(device)
        for layer in self.layers:
            for store in (layer.weights, layer.buffers):
                for k, v in store.items():
                    store[k] = ng.asarray(v, device=be)
            if hasattr(layer, "_consts"):
                layer._consts.clear()
        state = self.rng.state()
        self.rng = ng.random.Generator(state["seed"], device=be)
        self.rng.set_state(state)
        self.backend = be
        self.grads = {}
        return self

    def set_state(self, arrays: dict[str, np.ndarray], *, source: str = "weights") -> None:
        """Replace parameters and buffers from host arrays; names and shapes must match
        exactly (``ValueError`` listing every difference otherwise)."""
        expected = {k: tuple(v.shape) for k, v in self.state().items()}
        problems = []
        for k in sorted(set(expected) - set(arrays)):
            problems.append(f"missing {k} {expected[k]}")
        for k in sorted(set(arrays) - set(expected)):
            problems.append(f"unexpected {k} {tuple(arrays[k].shape)}")
        for k in sorted(set(expected) & set(arrays)):
            if tuple(arrays[k].shape) != expected[k]:
                problems.append(f"shape of {k}: file {tuple(arrays[k].shape)}, network {expected[k]}")
        if problems:
            raise ValueError(f"{source} do not match network {self.name!r}:\n  " + "\n  ".join(problems))
        for layer in self.layers:
            for store in (layer.weights, layer.buffers):
                for k in store:
                    host = np.array(arrays[f"{layer.name}.{k}"], dtype=np.float32)  # a copy:
                    store[k] = ng.asarray(host, device=self.backend)  # updates never alias the caller's

    # ----------------------------------------------------------------- running
    def _feeds(self, plan: _Plan, inputs: Any) -> dict[str, Any]:
        if isinstance(inputs, dict):
            return dict(inputs)
        if not isinstance(inputs, (tuple, list)):
            inputs = (inputs,)
        if len(plan.data_layers) != 1:
            raise ValueError("this network has several data layers: feed a dict blob -> array")
        outs = plan.data_layers[0].outputs
        if len(inputs) > len(outs):
            raise ValueError(f"got {len(inputs)} inputs for data blobs {outs}")
        return dict(zip(outs, inputs))

    def _needed(self, phase: str, target: str) -> list[Layer]:
        """The layers of ``phase`` that ``target`` depends on, in order (cached)."""
        key = (phase, target)
        cached = self._until.get(key)
        if cached is None:
            plan = self.plans[phase]
            if target not in plan.producer:
                raise ValueError(f"forward: no blob {target!r} in the {phase} phase")
            want, stack = set(), [plan.producer[target].name]
            while stack:
                name = stack.pop()
                if name in want:
                    continue
                want.add(name)
                layer = self._by_name[name]
                if not layer.is_data:
                    stack.extend(plan.producer[b].name for b in layer.inputs)
            cached = [layer for layer in plan.order if layer.name in want]
            self._until[key] = cached
        return cached

    def forward(self, inputs: Any, *, phase: str = "train", until: str | None = None) -> dict[str, Any]:
        """Run one phase on a batch; returns every blob computed (name -> Array).

        ``inputs``: ``(images, labels)`` (or just images) for the data layer, or a dict
        blob name -> Array. ``until``: compute only what this blob needs (for example
        the network's ``output`` for prediction, with no labels).
        """
        if phase not in PHASES:
            raise ValueError(f"forward: phase must be 'train' or 'test', got {phase!r}")
        plan = self.plans[phase]
        feeds = self._feeds(plan, inputs)
        ctx = Context(train=(phase == "train"), rng=self.rng)
        blobs: dict[str, Any] = {}
        order = plan.order if until is None else self._needed(phase, until)
        for layer in order:
            layer.need_input_grad = plan.need_grad[layer.name]
            if layer.is_data:
                xs = [feeds.get(b) for b in layer.outputs]
                if xs[0] is None:
                    raise ValueError(f"layer {layer.name!r}: no input fed for blob {layer.outputs[0]!r}")
                xs = [x if x is None or isinstance(x, ng.Array) else ng.asarray(x, device=self.backend)
                      for x in xs]
            else:
                xs = [blobs[b] for b in layer.inputs]
                for b, x in zip(layer.inputs, xs):
                    if x is None:
                        raise ValueError(f"layer {layer.name!r}: inputs: blob {b!r} was not fed "
                                         "(labels are needed for losses and metrics)")
            ys = layer.forward(xs, ctx)
            for blob, y in zip(layer.outputs, ys):
                blobs[blob] = y
        self._last = (phase, ctx, order)
        return blobs

    def loss(self, blobs: dict[str, Any]) -> Any:
        """The weighted sum of the loss layers' outputs of a forward result (0-d Array)."""
        phase = self._last[0] if self._last else "train"
        total = None
        for layer in self.plans[phase].loss_layers:
            if layer.outputs[0] not in blobs:
                continue
            term = blobs[layer.outputs[0]] * float(layer.cfg.get("loss_weight", 1.0))
            total = term if total is None else total + term
        if total is None:
            raise ValueError(f"network {self.name!r} has no loss layer in the {phase} phase")
        return total

    def backward(self, *, loss_scale: float = 1.0, accumulate: bool = False) -> dict[str, Any]:
        """Back-propagate from the loss layers of the last forward pass.

        Each loss starts with gradient ``loss_weight * loss_scale``. ``accumulate``
        adds the new weight gradients to ``self.grads`` instead of replacing them
        (gradient accumulation over micro-batches). Returns ``self.grads``.
        """
        if self._last is None:
            raise RuntimeError("backward() needs a forward() pass first")
        phase, ctx, order = self._last
        losses = [layer for layer in order if layer.is_loss]
        if not losses:
            raise ValueError(f"network {self.name!r} has no loss layer in the {phase} phase "
                             "(or the last forward pass stopped before it)")
        if not accumulate:
            self.grads = {}
        dblobs: dict[str, Any] = {}
        for layer in losses:
            w = float(layer.cfg.get("loss_weight", 1.0)) * float(loss_scale)
            seed = self._seeds.get((w, self.backend))
            if seed is None:  # cached: no host-to-device copy per step
                seed = ng.asarray(w, dtype=ng.float32, device=self.backend)
                if len(self._seeds) > 64:
                    self._seeds.clear()
                self._seeds[(w, self.backend)] = seed
            dblobs[layer.outputs[0]] = seed
        for layer in reversed(order):
            if layer.is_data:
                continue
            dys = [dblobs.pop(b, None) for b in layer.outputs]
            if all(d is None for d in dys):
                layer.release()
                continue
            layer.grads = {}
            dxs = layer.backward(dys, ctx)
            for blob, flag, dx in zip(layer.inputs, layer.need_input_grad, dxs):
                if flag and dx is not None:
                    prev = dblobs.get(blob)
                    dblobs[blob] = dx if prev is None else prev + dx
            for k, g in layer.grads.items():
                key = f"{layer.name}.{k}"
                prev = self.grads.get(key) if accumulate else None
                self.grads[key] = g if prev is None else prev + g
            layer.release()
        return self.grads

    # ----------------------------------------------------------------- reporting
    def summary(self, batch: str = "N") -> str:
        """A table: layer, type, phase, output shape(s), parameters; then totals."""
        rows = [("layer", "type", "phase", "output shape", "params", "")]
        for layer in self.layers:
            plan = self.plans["train"] if layer.phase is None or "train" in layer.phase else self.plans["test"]
            shapes = [plan.shapes.get(b) for b in layer.outputs]
            text = ", ".join("(" + ", ".join([batch] + [str(d) for d in s[1:]]) + ")" if s else "()"
                             for s in shapes if s is not None)
            count = sum(math.prod(spec[0]) for spec in layer.weight_specs.values())
            phase = "all" if layer.phase is None else ",".join(layer.phase)
            try:
                desc = layer.describe()
            except AttributeError:
                desc = ""
            rows.append((layer.name, layer.written_type, phase, text, f"{count:,}" if count else "-", desc))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = []
        for j, r in enumerate(rows):
            cells = [r[i].rjust(widths[i]) if i == 4 else r[i].ljust(widths[i]) for i in range(len(r))]
            lines.append("  ".join(cells).rstrip())
            if j == 0:
                lines.append("  ".join("-" * w for w in widths))
        n_buf = sum(math.prod(spec[0]) for ly in self.layers for spec in ly.buffer_specs.values())
        total = sum(math.prod(spec[0]) for ly in self.layers for spec in ly.weight_specs.values())
        lines.append(f"{self.name}: {len(self.layers)} layers, {total:,} trainable parameters"
                     + (f", {n_buf:,} buffer values" if n_buf else "")
                     + f" ({total * 4 / 1e6:.2f} MB as float32)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Network {self.name!r}: {len(self.layers)} layers on {self.backend.device_name}>"


def _rng_seed(seed: int) -> int:
    """The layer stream's seed: distinct from the same seed's other streams."""
    return (int(seed) * 0x9E3779B97F4A7C15 + 0x6E6E) & 0xFFFFFFFFFFFFFFFF


def _toposort(active: list[Layer], deps: dict[str, list[str]], phase: str) -> list[Layer]:
    """Kahn's algorithm, keeping the file order among ready layers; a cycle raises."""
    pos = {layer.name: i for i, layer in enumerate(active)}
    by_name = {layer.name: layer for layer in active}
    indeg = {name: len(set(d)) for name, d in deps.items()}
    users: dict[str, list[str]] = {name: [] for name in deps}
    for name, ds in deps.items():
        for d in set(ds):
            users[d].append(name)
    ready = [(pos[n], n) for n, k in indeg.items() if k == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(by_name[name])
        for u in users[name]:
            indeg[u] -= 1
            if indeg[u] == 0:
                heapq.heappush(ready, (pos[u], u))
    if len(order) != len(active):
        stuck = sorted((n for n, k in indeg.items() if k > 0), key=pos.get)
        raise ValueError(f"layer {stuck[0]!r}: inputs: the graph has a cycle in the {phase} phase "
                         f"through layers {stuck}")
    return order
