"""Optimizers (SGD, momentum, Nesterov, Adam, AdamW) and learning-rate schedules.

Updates are in place on the parameter Arrays. Each optimizer calls the backend's fused
fast path (``sgd_update`` / ``adam_update``, DESIGN section 3) when there is one and
the composite of array operations otherwise; both follow PyTorch's conventions:

* SGD: ``v = m*v + (g + wd*p)``; ``p -= lr*v`` (Nesterov: ``p -= lr*(g + wd*p + m*v)``).
* Adam: L2 weight decay added to the gradient; AdamW: ``p *= 1 - lr*wd`` (decoupled).

Gradient accumulation happens before the optimizer: ``Network.backward(loss_scale=
share, accumulate=True)`` sums the micro-batches' gradients, weighted by their share
of the whole batch, so one ``step`` applies exactly the large-batch update.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nigiri as ng

from .functional import fast_path

__all__ = ["Optimizer", "SGD", "Adam", "Schedule", "make_optimizer", "make_schedule",
           "OPTIMIZERS", "SCHEDULES"]


# ------------------------------------------------------------------ schedules
class Schedule:
    """Learning-rate factor as a function of the optimizer step (0-based)."""

    def __init__(self, kind: str = "constant", *, total_steps: int = 0, step_size: int = 0,
                 gamma: float = 0.1, min_factor: float = 0.0, warmup_steps: int = 0) -> None:
        if kind not in SCHEDULES:
            raise ValueError(f"unknown schedule {kind!r}; known: {', '.join(SCHEDULES)}")
        if kind == "cosine" and total_steps < 1:
            raise ValueError(f"cosine schedule needs total_steps >= 1, got {total_steps}")
        if kind == "step" and step_size < 1:
            raise ValueError(f"step schedule needs step_size >= 1, got {step_size}")
        if warmup_steps < 0:
            raise ValueError(f"warmup_steps must be >= 0, got {warmup_steps}")
        self.kind, self.total_steps, self.step_size = kind, int(total_steps), int(step_size)
        self.gamma, self.min_factor, self.warmup_steps = float(gamma), float(min_factor), int(warmup_steps)

    def factor(self, step: int) -> float:
        """Multiplier of the base learning rate at ``step``."""
        f = 1.0
        if self.kind == "step":
            f = self.gamma ** (step // self.step_size)
        elif self.kind == "cosine":
            t = min(step, self.total_steps) / self.total_steps
            f = self.min_factor + (1.0 - self.min_factor) * 0.5 * (1.0 + math.cos(math.pi * t))
        if self.warmup_steps and step < self.warmup_steps:
            f *= (step + 1) / self.warmup_steps
        return f

    def config(self) -> dict[str, Any]:
        """JSON-able description (rebuild with ``Schedule(**config)``)."""
        return {"kind": self.kind, "total_steps": self.total_steps, "step_size": self.step_size,
                "gamma": self.gamma, "min_factor": self.min_factor,
                "warmup_steps": self.warmup_steps}


SCHEDULES = ("constant", "step", "cosine")


def make_schedule(kind: str | None, *, total_steps: int = 0, step_size: int = 0,
                  gamma: float = 0.1, min_factor: float = 0.0, warmup_steps: int = 0) -> Schedule:
    """A schedule by name (``None`` = constant)."""
    return Schedule(kind or "constant", total_steps=total_steps, step_size=step_size,
                    gamma=gamma, min_factor=min_factor, warmup_steps=warmup_steps)


# ------------------------------------------------------------------ optimizers
def _check(name: str, value: Any, lo: float, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if value < lo or (hi is not None and value >= hi):
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi})"
        raise ValueError(f"{name} must be {rng}, got {value}")
    return float(value)


class Optimizer:
    """Base class: a base learning rate, weight decay, a schedule and per-parameter
    state (``slots``: name -> Array per slot)."""

    kind = "abstract"
    slot_names: tuple[str, ...] = ()

    def __init__(self, lr: float, weight_decay: float = 0.0, schedule: Schedule | None = None) -> None:
        self.base_lr = _check("lr", lr, 0.0)
        self.weight_decay = _check("weight_decay", weight_decay, 0.0)
        self.schedule = schedule or Schedule()
        self.step_count = 0
        self.slots: dict[str, dict[str, Any]] = {s: {} for s in self.slot_names}

    @property
    def lr(self) -> float:
        """The learning rate of the next step."""
        return self.base_lr * self.schedule.factor(self.step_count)

    def step(self, params: dict[str, Any], grads: dict[str, Any]) -> None:
        """Update every parameter that has a gradient, in place; advance the schedule."""
        lr = self.lr
        for name, p in params.items():
            g = grads.get(name)
            if g is None:
                continue
            if tuple(g.shape) != tuple(p.shape):
                raise ValueError(f"gradient of {name} has shape {tuple(g.shape)}, parameter {tuple(p.shape)}")
            self._update(name, p, g, lr)
        self.step_count += 1

    def _slot(self, slot: str, name: str, p: Any) -> Any:
        buf = self.slots[slot].get(name)
        if buf is None:
            buf = ng.zeros(p.shape, dtype=p.dtype, device=p.device)
            self.slots[slot][name] = buf
        return buf

    def _update(self, name: str, p: Any, g: Any, lr: float) -> None:
        raise NotImplementedError

    # -- persistence
    def config(self) -> dict[str, Any]:
        """Hyper-parameters, schedule and step count (JSON-able)."""
        return {"kind": self.kind, "lr": self.base_lr, "weight_decay": self.weight_decay,
                "schedule": self.schedule.config(), "step": self.step_count}

    def state_arrays(self) -> dict[str, Any]:
        """Slot Arrays keyed ``slot/param``."""
        return {f"{slot}/{name}": a for slot, d in self.slots.items() for name, a in d.items()}

    def load_state(self, config: dict[str, Any], arrays: dict[str, np.ndarray], device: Any) -> None:
        """Restore from ``config()`` and ``state_arrays()`` (as host arrays)."""
        if config.get("kind") != self.kind:
            raise ValueError(f"optimizer state is for {config.get('kind')!r}, not {self.kind!r}")
        self.step_count = int(config.get("step", 0))
        self.slots = {s: {} for s in self.slot_names}
        for key, host in arrays.items():
            slot, _, name = key.partition("/")
            if slot not in self.slots:
                raise ValueError(f"optimizer state has unknown slot {slot!r} ({key})")
            self.slots[slot][name] = ng.asarray(np.array(host, np.float32), device=device, copy=True)


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum."""

    kind = "sgd"
    slot_names = ("velocity",)

    def __init__(self, lr: float = 0.01, momentum: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False, schedule: Schedule | None = None) -> None:
        super().__init__(lr, weight_decay, schedule)
        self.momentum = _check("momentum", momentum, 0.0, 1.0)
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov needs momentum > 0")
        self.nesterov = bool(nesterov)

    def config(self) -> dict[str, Any]:
        return {**super().config(), "momentum": self.momentum, "nesterov": self.nesterov}

    def _update(self, name: str, p: Any, g: Any, lr: float) -> None:
        m, wd = self.momentum, self.weight_decay
        if m == 0.0:
            p -= lr * (g if wd == 0.0 else g + wd * p)
            return
        v = self._slot("velocity", name, p)
        fp = fast_path(p, "sgd_update")
        if fp is not None:
            fp(p._buf, g._buf, v._buf, lr=lr, momentum=m, weight_decay=wd, nesterov=self.nesterov)
            return
        d = g if wd == 0.0 else g + wd * p
        v *= m
        v += d
        p -= lr * (d + m * v if self.nesterov else v)


class Adam(Optimizer):
    """Adam (L2 weight decay) or AdamW (``decoupled=True``)."""

    kind = "adam"
    slot_names = ("m", "v")

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, decoupled: bool = False,
                 schedule: Schedule | None = None) -> None:
        super().__init__(lr, weight_decay, schedule)
        self.beta1 = _check("beta1", betas[0], 0.0, 1.0)
        self.beta2 = _check("beta2", betas[1], 0.0, 1.0)
        self.eps = _check("eps", eps, 0.0)
        self.decoupled = bool(decoupled)
        if self.decoupled:
            self.kind = "adamw"

    def config(self) -> dict[str, Any]:
        return {**super().config(), "betas": [self.beta1, self.beta2], "eps": self.eps,
                "decoupled": self.decoupled}

    def _update(self, name: str, p: Any, g: Any, lr: float) -> None:
        m, v = self._slot("m", name, p), self._slot("v", name, p)
        t = self.step_count + 1
        b1, b2, wd = self.beta1, self.beta2, self.weight_decay
        fp = fast_path(p, "adam_update")
        if fp is not None:
            fp(p._buf, g._buf, m._buf, v._buf, lr=lr, beta1=b1, beta2=b2, eps=self.eps,
               weight_decay=wd, decoupled=self.decoupled, step=t)
            return
        if wd and not self.decoupled:
            g = g + wd * p
        if wd and self.decoupled:
            p *= 1.0 - lr * wd
        m *= b1
        m += (1.0 - b1) * g
        v *= b2
        v += (1.0 - b2) * (g * g)
        bc1, bc2 = 1.0 - b1 ** t, 1.0 - b2 ** t
        p -= (lr / bc1) * m / (ng.sqrt(v) * (1.0 / math.sqrt(bc2)) + self.eps)


OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "adamw")


def make_optimizer(kind: str, *, lr: float, momentum: float = 0.9, weight_decay: float = 0.0,
                   betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                   schedule: Schedule | None = None) -> Optimizer:
    """An optimizer by name: ``sgd`` (no momentum), ``momentum``, ``nesterov``,
    ``adam``, ``adamw``."""
    if kind == "sgd":
        return SGD(lr, 0.0, weight_decay, schedule=schedule)
    if kind == "momentum":
        return SGD(lr, momentum, weight_decay, schedule=schedule)
    if kind == "nesterov":
        return SGD(lr, momentum, weight_decay, nesterov=True, schedule=schedule)
    if kind in ("adam", "adamw"):
        return Adam(lr, betas, eps, weight_decay, decoupled=(kind == "adamw"), schedule=schedule)
    raise ValueError(f"unknown optimizer {kind!r}; known: {', '.join(OPTIMIZERS)}")


def optimizer_from_config(config: dict[str, Any]) -> Optimizer:
    """Rebuild an optimizer (without its slot arrays) from ``Optimizer.config()``."""
    sched = Schedule(**config.get("schedule", {}))
    kind = config.get("kind")
    if kind == "sgd":
        opt: Optimizer = SGD(config["lr"], config.get("momentum", 0.0), config.get("weight_decay", 0.0),
                             nesterov=config.get("nesterov", False), schedule=sched)
    elif kind in ("adam", "adamw"):
        opt = Adam(config["lr"], tuple(config.get("betas", (0.9, 0.999))), config.get("eps", 1e-8),
                   config.get("weight_decay", 0.0), decoupled=config.get("decoupled", kind == "adamw"),
                   schedule=sched)
    else:
        raise ValueError(f"unknown optimizer kind {kind!r} in saved state")
    opt.step_count = int(config.get("step", 0))
    return opt
