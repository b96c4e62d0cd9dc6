"""Training, evaluation and prediction: the Python API behind ``nigiri train``.

``Trainer.fit`` runs epochs of forward / backward / optimizer step with a progress
bar (tqdm), evaluates on the held-out set after each epoch, writes a checkpoint per
epoch, and on Ctrl-C finishes the current step, writes a checkpoint and returns.
``Trainer.resume`` continues from a checkpoint with the same data order, RNG stream
and optimizer state, so the next losses equal those of an uninterrupted run.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

import nigiri as ng

from .._atomic import atomic_write_bytes
from .data.loader import DataLoader
from .graph import Network
from .io import Checkpoint, load_checkpoint, save_checkpoint
from .optim import Optimizer, optimizer_from_config

__all__ = ["Trainer", "evaluate", "predict", "TrainResult"]


class TrainResult(dict):
    """``fit``'s result: ``history`` (one dict per epoch), ``interrupted``,
    ``checkpoint`` (the last one written) and ``step_losses`` (when recorded)."""


def _count_correct(scores: Any, labels: Any) -> Any:
    """Correct top-1 predictions (0-d float32), or None where accuracy has no meaning
    (regression targets: labels that are not one integer per sample)."""
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or scores.ndim != 2:
        return None
    return ng.sum(ng.astype(ng.argmax(scores, axis=1) == labels, ng.float32))


def _add(total: Any, value: Any) -> Any:
    if value is None:
        return total
    return value if total is None else total + value


def evaluate(net: Network, loader: DataLoader, *, progress: bool = False) -> dict[str, Any]:
    """Mean loss and accuracy (a fraction) of ``net`` in the test phase over ``loader``."""
    loss_sum = correct = None
    n = 0
    has_loss = bool(net.plans["test"].loss_layers)
    bar = _bar(len(loader), "evaluate", progress)
    try:
        for x, y in loader:
            blobs = net.forward((x, y), phase="test")
            b = int(x.shape[0])
            correct = _add(correct, _count_correct(blobs[net.output], y))
            if has_loss:
                term = net.loss(blobs) * float(b)
                loss_sum = term if loss_sum is None else loss_sum + term
            n += b
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    if n == 0:
        raise ValueError("evaluate: the data set is empty")
    return {"accuracy": float(correct) / n if correct is not None else None,
            "loss": float(loss_sum) / n if has_loss else None, "samples": n}


def predict(net: Network, images: Any, *, batch_size: int = 256) -> Any:
    """Scores of the network's ``output`` blob for ``images`` (host or device array),
    test phase, in batches; returns a nigiri Array ``[N, classes]`` on the network's
    device (``ng.argmax(scores, axis=1)`` gives the classes)."""
    if isinstance(images, ng.Array):
        images = ng.to_numpy(images)
    images = np.asarray(images)
    outs = []
    for start in range(0, images.shape[0], batch_size):
        x = ng.asarray(images[start:start + batch_size], device=net.backend)
        outs.append(net.forward((x,), phase="test", until=net.output)[net.output])
    if not outs:
        raise ValueError("predict: no images given")
    return outs[0] if len(outs) == 1 else ng.concat(outs, axis=0)


def _bar(total: int, desc: str, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="batch", leave=False, dynamic_ncols=True,
                file=sys.stderr)


class _Interrupt:
    """Turns the first Ctrl-C into a flag checked between steps (the second one
    interrupts at once); only in the main thread, restored on exit."""

    def __init__(self) -> None:
        self.flag = False
        self._old: Any = None

    def __enter__(self) -> "_Interrupt":
        if threading.current_thread() is threading.main_thread():
            self._old = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.flag:
            raise KeyboardInterrupt
        self.flag = True

    def __exit__(self, *exc: Any) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)


class Trainer:
    """Train ``net`` with ``optimizer`` on ``train_data``; evaluate on ``test_data``.

    ``accumulate`` splits every batch into that many micro-batches whose gradients are
    summed (weighted by size) before one optimizer step: the same update as the whole
    batch with less memory. ``out_dir`` receives ``checkpoint-epochNNN.safetensors``
    after each epoch and ``history.json``.
    """

    def __init__(self, net: Network, optimizer: Optimizer, train_data: DataLoader,
                 test_data: DataLoader | None = None, *, epochs: int = 1, accumulate: int = 1,
                 out_dir: str | Path | None = None, progress: bool = True,
                 log: Callable[[str], None] | None = print, log_every: int = 10,
                 record_losses: bool = False, extra_meta: dict[str, Any] | None = None) -> None:
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"Trainer: epochs must be a positive int, got {epochs!r}")
        if isinstance(accumulate, bool) or not isinstance(accumulate, int) or accumulate < 1:
            raise ValueError(f"Trainer: accumulate must be a positive int, got {accumulate!r}")
        if accumulate > train_data.batch_size:
            raise ValueError(f"Trainer: accumulate ({accumulate}) exceeds the batch size "
                             f"({train_data.batch_size})")
        self.net, self.optimizer = net, optimizer
        self.train_data, self.test_data = train_data, test_data
        self.epochs, self.accumulate = epochs, accumulate
        self.out_dir = None if out_dir is None else Path(out_dir)
        self.progress, self.log, self.log_every = progress, log, max(1, int(log_every))
        self.record_losses = record_losses
        self.extra_meta = dict(extra_meta or {})
        self.epoch = 0          # completed epochs
        self.batch = 0          # batches done in the current epoch
        self.history: list[dict[str, Any]] = []
        self.step_losses: list[float] = []
        self._partial: dict[str, float] = {}

    # ----------------------------------------------------------------- state
    def trainer_state(self) -> dict[str, Any]:
        """What a checkpoint stores besides weights and optimizer (JSON-able)."""
        return {"epoch": self.epoch, "batch": self.batch, "step": self.optimizer.step_count,
                "epochs": self.epochs, "accumulate": self.accumulate,
                "batch_size": self.train_data.batch_size, "data_seed": self.train_data.seed,
                "net_seed": self.net.seed, "rng": self.net.rng.state(),
                "history": self.history, "partial": self._partial, **self.extra_meta}

    def save(self, path: str | Path) -> Path:
        """Write a checkpoint of the current state to ``path``."""
        return save_checkpoint(path, self.net, self.optimizer, self.trainer_state())

    @classmethod
    def resume(cls, checkpoint: str | Path | Checkpoint, train_data: DataLoader,
               test_data: DataLoader | None = None, *, device: Any = None,
               epochs: int | None = None, **kwargs: Any) -> "Trainer":
        """A trainer continuing from ``checkpoint`` (file or ``--out`` folder)."""
        ck = checkpoint if isinstance(checkpoint, Checkpoint) else load_checkpoint(checkpoint)
        st = ck.trainer
        if ck.optimizer is None:
            raise ValueError(f"{ck.path}: checkpoint has no optimizer state; cannot resume")
        if st.get("batch_size") not in (None, train_data.batch_size):
            raise ValueError(f"{ck.path}: saved with batch size {st['batch_size']}, the data "
                             f"loader has {train_data.batch_size}")
        net = Network(ck.network, device=device, seed=int(st.get("net_seed", 0)),
                      batch_size=train_data.batch_size)
        net.set_state(ck.model, source=f"weights in {ck.path}")
        if "rng" in st:
            net.rng.set_state(st["rng"])
        opt = optimizer_from_config(ck.optimizer)
        opt.load_state(ck.optimizer, ck.optimizer_arrays, net.backend)
        saved_epochs = int(st.get("epochs", 1))
        total = int(epochs if epochs is not None else saved_epochs)
        if total != saved_epochs and opt.schedule.kind == "cosine":
            # a longer (or shorter) run: stretch the cosine over the new length
            opt.schedule.total_steps = max(1, total * len(train_data))
        trainer = cls(net, opt, train_data, test_data, epochs=total,
                      accumulate=int(st.get("accumulate", 1)), **kwargs)
        trainer.epoch, trainer.batch = int(st.get("epoch", 0)), int(st.get("batch", 0))
        trainer.history = list(st.get("history", []))
        trainer._partial = dict(st.get("partial", {}))
        return trainer

    # ----------------------------------------------------------------- training
    def _say(self, text: str) -> None:
        if self.log is not None:
            self.log(text)

    def progress_postfix(self) -> dict[str, str]:
        """Extra progress-bar fields (subclasses: distributed workers, bytes/step)."""
        return {}

    def train_step(self, x: Any, y: Any) -> tuple[Any, Any]:
        """One optimizer step on a batch; returns (loss * n, correct) as 0-d Arrays."""
        net, n = self.net, int(x.shape[0])
        k = min(self.accumulate, n)
        bounds = [round(i * n / k) for i in range(k + 1)]
        loss_sum = correct = None
        for i in range(k):
            a, b = bounds[i], bounds[i + 1]
            xs, ys = (x, y) if k == 1 else (x[a:b], y[a:b])
            blobs = net.forward((xs, ys), phase="train")
            net.backward(loss_scale=(b - a) / n, accumulate=i > 0)
            loss_sum = _add(loss_sum, net.loss(blobs) * float(b - a))
            correct = _add(correct, _count_correct(blobs[net.output], ys))
        self.optimizer.step(net.params(), net.grads)
        net.grads = {}
        return loss_sum, correct

    def fit(self) -> TrainResult:
        """Train until ``epochs`` are complete (or Ctrl-C); see the class docstring."""
        result = TrainResult(history=self.history, interrupted=False, checkpoint=None,
                             step_losses=self.step_losses)
        with _Interrupt() as stop:
            while self.epoch < self.epochs:
                completed = self._run_epoch(stop)
                if completed:
                    result["checkpoint"] = self._checkpoint(interrupted=False)
                if stop.flag:
                    path = result["checkpoint"] if completed else self._checkpoint(interrupted=True)
                    result.update(interrupted=True, checkpoint=path)
                    where = f"epoch {self.epoch + 1}, batch {self.batch}" if not completed \
                        else f"the end of epoch {self.epoch}"
                    self._say(f"interrupted at {where}: " + (
                        f"checkpoint written to {path}" if path else "no --out folder, nothing saved"))
                    return result
        return result

    def _run_epoch(self, stop: _Interrupt) -> bool:
        loader, e = self.train_data, self.epoch
        loader.set_epoch(e)
        total = len(loader)
        part = self._partial or {"loss": 0.0, "correct": 0.0, "samples": 0, "seconds": 0.0}
        bar = _bar(total, f"epoch {e + 1}/{self.epochs}", self.progress)
        if bar is not None:
            bar.update(self.batch)
        pend_loss = pend_correct = None
        pend_n = 0
        pend_losses: list[Any] = []
        t0 = time.perf_counter()
        t_seg = t0
        seg_n = 0
        try:
            for x, y in loader.iterate(self.batch):
                loss_sum, correct = self.train_step(x, y)
                b = int(x.shape[0])
                self.batch += 1
                pend_loss = _add(pend_loss, loss_sum)
                pend_correct = _add(pend_correct, correct)
                pend_n += b
                seg_n += b
                if self.record_losses:
                    pend_losses.append(loss_sum * (1.0 / b))
                flush = self.batch % self.log_every == 0 or self.batch == total or stop.flag
                if flush:
                    part["loss"] += float(pend_loss)
                    if pend_correct is not None:
                        part["correct"] += float(pend_correct)
                    else:
                        part["no_accuracy"] = True
                    part["samples"] += pend_n
                    if pend_losses:
                        self.step_losses.extend(float(v) for v in ng.to_numpy(ng.stack(pend_losses)))
                    pend_loss = pend_correct = None
                    pend_n, pend_losses = 0, []
                    now = time.perf_counter()
                    if bar is not None:
                        shown = {"loss": f"{part['loss'] / max(part['samples'], 1):.4f}"}
                        if not part.get("no_accuracy"):
                            shown["acc"] = f"{100 * part['correct'] / max(part['samples'], 1):.2f}%"
                        shown["img_s"] = f"{seg_n / max(now - t_seg, 1e-9):,.0f}"
                        shown.update(self.progress_postfix())
                        bar.set_postfix(shown, refresh=True)
                        t_seg, seg_n = now, 0
                if bar is not None:
                    bar.update(1)
                if stop.flag:
                    part["seconds"] += time.perf_counter() - t0
                    self._partial = part
                    return self.batch >= total and self._finish_epoch(part)  # else: partial
        finally:
            if bar is not None:
                bar.close()
        part["seconds"] += time.perf_counter() - t0
        return self._finish_epoch(part)

    def _finish_epoch(self, part: dict[str, float]) -> bool:
        ns = max(part["samples"], 1)
        rec: dict[str, Any] = {"epoch": self.epoch + 1, "train_loss": part["loss"] / ns,
                               "train_accuracy": None if part.get("no_accuracy") else part["correct"] / ns,
                               "seconds": part["seconds"],
                               "images_per_second": part["samples"] / max(part["seconds"], 1e-9),
                               "lr": self.optimizer.base_lr * self.optimizer.schedule.factor(
                                   max(self.optimizer.step_count - 1, 0)),
                               "step": self.optimizer.step_count}
        if self.test_data is not None:
            t = time.perf_counter()
            ev = evaluate(self.net, self.test_data)
            rec.update(test_loss=ev["loss"], test_accuracy=ev["accuracy"],
                       eval_seconds=time.perf_counter() - t)
        self.history.append(rec)
        self.epoch += 1
        self.batch = 0
        self._partial = {}
        line = f"epoch {rec['epoch']}/{self.epochs}  train loss {rec['train_loss']:.4f}"
        if rec["train_accuracy"] is not None:
            line += f" acc {100 * rec['train_accuracy']:.2f}%"
        if "test_accuracy" in rec:
            tl, ta = rec["test_loss"], rec["test_accuracy"]
            line += f"  test loss {tl:.4f}" if tl is not None else "  test"
            if ta is not None:
                line += f" acc {100 * ta:.2f}%"
        line += (f"  lr {rec['lr']:.4g}  {rec['seconds']:.1f} s "
                 f"({rec['images_per_second']:,.0f} img/s)")
        self._say(line)
        return True

    def _checkpoint(self, interrupted: bool) -> Path | None:
        if self.out_dir is None:
            return None
        if interrupted:
            name = f"checkpoint-step{self.optimizer.step_count:07d}.safetensors"
        else:
            name = f"checkpoint-epoch{self.epoch:03d}.safetensors"
        path = self.save(self.out_dir / name)
        history = json.dumps({"network": self.net.name, "history": self.history}, indent=1)
        atomic_write_bytes(self.out_dir / "history.json", history.encode())
        return path

