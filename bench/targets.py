"""Targets: the columns of a benchmark table.

A target is either a nigiri device (``ng:numpy``, ``ng:numba``, ``ng:opencl:0``, ...)
or a peer library run directly (``numpy``, ``cupy``, ``torch:cpu``, ``torch:cuda``,
``tinygrad``). Every target offers the same small surface, so one task definition runs
on all of them:

- ``put(host) -> native`` and ``get(native) -> numpy.ndarray`` (host <-> device),
- ``sync()`` (block until queued work is done),
- ``op(name) -> callable`` (the library's own function for a standard op name; raises
  :class:`Unsupported` with the reason when the target lacks it),
- ``event_timer`` (device-event timing, CUDA only) or None.

A target that cannot be used here is still a column: ``available`` is False and
``reason`` says why (not installed, no device, import error), so tables never drop it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from typing import Any, Callable

import numpy as np

__all__ = [
    "Unsupported", "Target", "NigiriTarget", "UnavailableTarget", "nigiri_targets",
    "peer_targets", "OPS", "PEERS",
]

#: Standard op names and their call shape. Binary ops take (a, b), unary ops (a),
#: reductions (x, axis) with axis None or an int, "copy" (x) returns a new array.
OPS = {
    "add": "binary", "subtract": "binary", "multiply": "binary", "divide": "binary",
    "maximum": "binary", "matmul": "binary",
    "log": "unary", "exp": "unary", "sqrt": "unary", "tanh": "unary", "negative": "unary",
    "sum": "reduce", "max": "reduce", "mean": "reduce", "argmax": "reduce",
    "copy": "copy",
}

#: Peer names accepted by ``--peers`` (all by default).
PEERS = ("numpy", "torch", "cupy", "tinygrad")


class Unsupported(Exception):
    """This target cannot run this task; the message says why."""


def _dist_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class Target:
    """Base class: one column of a benchmark table."""

    kind = "peer"            # "nigiri" or "peer"
    device_class = "cpu"     # "cpu" or "gpu"
    available = True
    reason = ""
    event_timer: Callable[[Callable[[], Any], int], float] | None = None

    def __init__(self, name: str) -> None:
        self.name = name

    def put(self, host: np.ndarray) -> Any:
        raise NotImplementedError

    def get(self, x: Any) -> np.ndarray:
        raise NotImplementedError

    def sync(self) -> None:
        """Block until all queued work is done (no-op for synchronous libraries)."""

    def op(self, name: str) -> Callable[..., Any]:
        raise NotImplementedError

    def info(self) -> dict[str, Any]:
        """Versions and device description for the results JSON."""
        return {}

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind,
                               "device_class": self.device_class,
                               "available": self.available}
        if not self.available:
            out["reason"] = self.reason
        else:
            try:
                out.update(self.info())
            except Exception as exc:  # a description must never stop a run
                out["info_error"] = f"{type(exc).__name__}: {exc}"
        return out


class UnavailableTarget(Target):
    """A column that exists only to say why it is empty."""

    available = False

    def __init__(self, name: str, kind: str, reason: str, device_class: str = "cpu") -> None:
        super().__init__(name)
        self.kind = kind
        self.reason = reason
        self.device_class = device_class


def _reduce(fn: Callable[..., Any], kw: str = "axis") -> Callable[..., Any]:
    def call(x: Any, axis: int | None = None) -> Any:
        return fn(x) if axis is None else fn(x, **{kw: axis})
    return call


# --------------------------------------------------------------------------- nigiri
class NigiriTarget(Target):
    """A nigiri device, driven through the public ``nigiri`` namespace."""

    kind = "nigiri"

    def __init__(self, spec: str) -> None:
        import nigiri
        from nigiri.backends import get_device

        self._ng = nigiri
        self._be = get_device(spec)
        super().__init__(f"ng:{self._be.device_name}")
        self.spec = self._be.device_name
        kinds = getattr(type(self._be), "device_kinds", None)
        if kinds is not None:
            try:
                self.device_class = kinds()[self._be.index]
            except Exception:
                self.device_class = "cpu"
        if self._be.name == "cupy":
            self.device_class = "gpu"
            self.event_timer = _cupy_event_timer()

    def put(self, host: np.ndarray) -> Any:
        return self._ng.asarray(host, device=self.spec, copy=True)

    def get(self, x: Any) -> np.ndarray:
        return self._ng.to_numpy(x)

    def sync(self) -> None:
        self._be.synchronize()

    def op(self, name: str) -> Callable[..., Any]:
        ng = self._ng
        if name == "copy":
            asarray = ng.asarray
            return lambda x: asarray(x, copy=True)
        fn = getattr(ng, name, None)
        if fn is None:
            raise Unsupported(f"nigiri {ng.__version__} has no ng.{name}")
        if OPS.get(name) == "reduce":
            return _reduce(fn)
        return fn

    def info(self) -> dict[str, Any]:
        be = self._be
        return {"nigiri": self._ng.__version__, "backend": be.name,
                "versions": type(be).versions(), "device": be.describe(),
                "capabilities": be.capabilities.as_dict()}


def nigiri_targets(backends: list[str]) -> list[Target]:
    """Targets for backend names or device specs; ``all`` expands every registered
    backend to each of its devices. Unusable ones come back as UnavailableTarget."""
    from nigiri.backends import BackendUnavailableError, backend_class, names, parse_spec

    if backends == ["all"]:
        specs: list[str] = []
        for name in names():
            if name == "fake":  # the test suite's fake backend is never part of "all"
                continue
            try:
                count = backend_class(name).device_count()
            except Exception:
                specs.append(name)  # reported as unavailable below
                continue
            specs += [name] if count <= 1 else [f"{name}:{i}" for i in range(count)]
    else:
        specs = backends
    out: list[Target] = []
    for spec in specs:
        try:
            parse_spec(spec)
            out.append(NigiriTarget(spec))
        except (BackendUnavailableError, ImportError) as exc:
            out.append(UnavailableTarget(f"ng:{spec}", "nigiri", str(exc)))
        except ValueError:
            raise
        except Exception as exc:  # a broken driver is "unavailable", with the reason
            out.append(UnavailableTarget(f"ng:{spec}", "nigiri", f"{type(exc).__name__}: {exc}"))
    return out


# --------------------------------------------------------------------------- numpy
class NumpyPeer(Target):
    """NumPy called directly (the baseline of most tables)."""

    def __init__(self) -> None:
        super().__init__("numpy")

    def put(self, host: np.ndarray) -> Any:
        return np.array(host, copy=True)

    def get(self, x: Any) -> np.ndarray:
        return np.asarray(x)

    def op(self, name: str) -> Callable[..., Any]:
        if name == "copy":
            return np.copy
        fn = getattr(np, name)
        return _reduce(fn) if OPS.get(name) == "reduce" else fn

    def info(self) -> dict[str, Any]:
        return {"versions": {"numpy": np.__version__}}


# --------------------------------------------------------------------------- torch
class TorchPeer(Target):
    """PyTorch on one device (``cpu`` or ``cuda``)."""

    def __init__(self, device: str) -> None:
        import torch

        self._torch = torch
        self._dev = device
        super().__init__(f"torch:{device}")
        if device == "cuda":
            self.device_class = "gpu"
            # float32 stays IEEE float32 (nigiri's default); TF32 would not compare
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
            self.event_timer = self._events

    def _events(self, fn: Callable[[], Any], number: int) -> float:
        torch = self._torch
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(number):
            fn()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1e3

    def put(self, host: np.ndarray) -> Any:
        return self._torch.tensor(host, device=self._dev)

    def get(self, x: Any) -> np.ndarray:
        return x.cpu().numpy()

    def sync(self) -> None:
        if self._dev == "cuda":
            self._torch.cuda.synchronize()

    def op(self, name: str) -> Callable[..., Any]:
        torch = self._torch
        if name == "copy":
            return torch.clone
        if name in ("max", "argmax"):
            red = torch.amax if name == "max" else torch.argmax
            return _reduce(red, "dim")
        fn = getattr(torch, name)
        return _reduce(fn, "dim") if OPS.get(name) == "reduce" else fn

    def info(self) -> dict[str, Any]:
        torch = self._torch
        out: dict[str, Any] = {"versions": {"torch": torch.__version__},
                               "num_threads": torch.get_num_threads()}
        if self._dev == "cuda":
            out["device"] = torch.cuda.get_device_name(0)
            out["versions"]["cuda"] = torch.version.cuda
            out["allow_tf32"] = torch.backends.cuda.matmul.allow_tf32
        return out


# --------------------------------------------------------------------------- cupy
def _cupy_event_timer() -> Callable[[Callable[[], Any], int], float]:
    import cupy

    def timer(fn: Callable[[], Any], number: int) -> float:
        start, end = cupy.cuda.Event(), cupy.cuda.Event()
        start.record()
        for _ in range(number):
            fn()
        end.record()
        end.synchronize()
        return cupy.cuda.get_elapsed_time(start, end) / 1e3

    return timer


class CupyPeer(Target):
    """CuPy called directly on device 0."""

    device_class = "gpu"

    def __init__(self) -> None:
        import cupy

        self._cp = cupy
        if cupy.cuda.runtime.getDeviceCount() < 1:
            raise RuntimeError("CuPy found no CUDA device")
        super().__init__("cupy")
        self.event_timer = _cupy_event_timer()

    def put(self, host: np.ndarray) -> Any:
        return self._cp.asarray(host)

    def get(self, x: Any) -> np.ndarray:
        return self._cp.asnumpy(x)

    def sync(self) -> None:
        self._cp.cuda.get_current_stream().synchronize()

    def op(self, name: str) -> Callable[..., Any]:
        cp = self._cp
        if name == "copy":
            return cp.copy
        fn = getattr(cp, name)
        return _reduce(fn) if OPS.get(name) == "reduce" else fn

    def info(self) -> dict[str, Any]:
        cp = self._cp
        props = cp.cuda.runtime.getDeviceProperties(0)
        name = props["name"]
        return {"versions": {"cupy": cp.__version__,
                             "cuda_runtime": cp.cuda.runtime.runtimeGetVersion(),
                             "cuda_driver": cp.cuda.runtime.driverGetVersion()},
                "device": name.decode() if isinstance(name, bytes) else str(name)}


# --------------------------------------------------------------------------- tinygrad
class TinygradPeer(Target):
    """tinygrad on its default device; every op is realized (tinygrad is lazy)."""

    def __init__(self) -> None:
        from tinygrad import Device, Tensor

        self._T = Tensor
        self._Device = Device
        self._dev = Device.DEFAULT  # raises RuntimeError when no device is usable
        super().__init__("tinygrad")
        if self._dev.split(":")[0] in ("CUDA", "NV", "AMD", "HIP", "METAL", "CL", "GPU"):
            self.device_class = "gpu"

    def put(self, host: np.ndarray) -> Any:
        return self._T(np.array(host, copy=True)).realize()

    def get(self, x: Any) -> np.ndarray:
        return x.numpy()

    def sync(self) -> None:
        self._Device[self._dev].synchronize()

    #: standard op name -> tinygrad Tensor method, where they differ
    _NAMES = {"multiply": "mul", "subtract": "sub", "divide": "div", "negative": "neg"}

    def op(self, name: str) -> Callable[..., Any]:
        kind = OPS.get(name)
        if name == "copy":
            return lambda x: x.clone().realize()
        if name == "matmul":
            return lambda a, b: (a @ b).realize()
        method = getattr(self._T, self._NAMES.get(name, name), None)
        if method is None or kind is None:
            raise Unsupported(f"tinygrad {_dist_version('tinygrad')} has no Tensor."
                              f"{self._NAMES.get(name, name)}")
        if kind == "binary":
            return lambda a, b: method(a, b).realize()
        if kind == "unary":
            return lambda a: method(a).realize()
        if kind == "reduce":
            return lambda x, axis=None: method(x, axis).realize()
        raise Unsupported(f"tinygrad: no mapping for op {name!r}")

    def info(self) -> dict[str, Any]:
        return {"versions": {"tinygrad": _dist_version("tinygrad")}, "device": self._dev}


_PEER_FACTORIES: dict[str, Callable[[], list[Target]]] = {
    "numpy": lambda: [NumpyPeer()],
    "torch": lambda: _torch_targets(),
    "cupy": lambda: [CupyPeer()],
    "tinygrad": lambda: [TinygradPeer()],
}

_PEER_MODULES = {"numpy": "numpy", "torch": "torch", "cupy": "cupy", "tinygrad": "tinygrad"}


def _torch_targets() -> list[Target]:
    import torch

    out: list[Target] = [TorchPeer("cpu")]
    if torch.cuda.is_available():
        out.append(TorchPeer("cuda"))
    return out


def peer_targets(peers: list[str] | None = None) -> list[Target]:
    """Peer targets; a library that is not installed is a column marked
    "not installed", one that is installed but unusable says why."""
    out: list[Target] = []
    for name in peers or list(PEERS):
        if name not in _PEER_FACTORIES:
            raise ValueError(f"unknown peer {name!r}: expected one of {', '.join(PEERS)}")
        try:
            importlib.import_module(_PEER_MODULES[name])
        except ImportError:
            out.append(UnavailableTarget(name, "peer", "not installed",
                                         "gpu" if name == "cupy" else "cpu"))
            continue
        except Exception as exc:
            out.append(UnavailableTarget(name, "peer", f"import failed: {type(exc).__name__}: {exc}"))
            continue
        try:
            out += _PEER_FACTORIES[name]()
        except Exception as exc:
            out.append(UnavailableTarget(name, "peer", f"unusable: {type(exc).__name__}: {exc}",
                                         "gpu" if name == "cupy" else "cpu"))
    return out
