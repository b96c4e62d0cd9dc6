"""``nigiri train | evaluate | summary | data``: argument parsing over the nn Python API.

``nigiri/cli.py`` calls ``add_subcommands(subparsers)``; each subcommand's ``func``
takes the parsed arguments and returns an exit status.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from .._argtypes import nonneg_float, positive_int

__all__ = ["add_subcommands", "cmd_train", "cmd_evaluate", "cmd_summary", "cmd_data", "main"]

_RECIPE_DEFAULTS = {"epochs": 10, "batch_size": 64, "optimizer": "momentum", "lr": 0.01,
                    "momentum": 0.9, "weight_decay": 0.0, "schedule": "constant",
                    "step_size": 1, "gamma": 0.1, "warmup_epochs": 0, "min_lr_factor": 0.0}


def add_subcommands(sub: Any) -> None:
    """Add ``train``, ``evaluate``, ``summary`` and ``data`` to an argparse subparsers object."""
    from .optim import OPTIMIZERS, SCHEDULES

    p = sub.add_parser("train", help="train a network (zoo name or JSON file)",
                       description="Train NET (a zoo name such as lenet, or a JSON file) on a "
                                   "data set. Defaults come from the network's recipe.")
    p.add_argument("net", nargs="?", help="zoo name or JSON file (optional with --resume)")
    p.add_argument("--data", default="mnist", choices=["mnist"], help="data set (default mnist)")
    p.add_argument("--data-dir", help="folder with the IDX files (default: the offline "
                                      "5,000-digit MNIST subset shipped with nigiri)")
    p.add_argument("--backend", default=None, help="device: numpy, numba, opencl[:i], cupy[:i] "
                                                   "(default: NIGIRI_BACKEND or numpy)")
    p.add_argument("--epochs", type=positive_int, help="default: the recipe's (lenet: 10)")
    p.add_argument("--batch-size", type=positive_int, help="default: the recipe's (lenet: 64)")
    p.add_argument("--lr", type=nonneg_float, help="base learning rate (lenet: 0.05)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, help="default: the recipe's (lenet: momentum)")
    p.add_argument("--momentum", type=nonneg_float, help="momentum / nesterov (default 0.9)")
    p.add_argument("--weight-decay", type=nonneg_float, help="L2 (sgd, adam) or decoupled (adamw)")
    p.add_argument("--schedule", choices=SCHEDULES, help="learning-rate schedule")
    p.add_argument("--step-size", type=positive_int, help="step schedule: epochs per decay")
    p.add_argument("--gamma", type=nonneg_float, help="step schedule: decay factor")
    p.add_argument("--warmup-epochs", type=nonneg_float, help="linear warm-up length")
    p.add_argument("--accumulate", type=positive_int, default=1,
                   help="split each batch into this many micro-batches (gradient accumulation)")
    p.add_argument("--seed", type=int, default=0, help="initialisation, shuffling and dropout seed")
    p.add_argument("--out", help="folder for checkpoints and history.json "
                                 "(default runs/NET-YYYYmmdd-HHMMSS)")
    p.add_argument("--resume", metavar="CKPT", help="continue from a checkpoint file or --out folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the history as JSON at the end")
    p.set_defaults(func=cmd_train)
    try:  # --workers / --scheduler (nigiri.distributed wraps cmd_train)
        from nigiri.distributed.cli import add_train_options
    except ImportError:
        add_train_options = None
    if add_train_options is not None:
        add_train_options(p)

    p = sub.add_parser("evaluate", help="evaluate a checkpoint on a data set")
    p.add_argument("checkpoint", metavar="CKPT", help="checkpoint file or a training --out folder")
    p.add_argument("--data", default="mnist", choices=["mnist"])
    p.add_argument("--data-dir")
    p.add_argument("--split", default="test", choices=["test", "train"])
    p.add_argument("--backend", default=None)
    p.add_argument("--batch-size", type=positive_int, default=256)
    p.add_argument("--json", action="store_true", help="end with a JSON line (accuracy, loss, ...)")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("summary", help="print a network's layers, shapes and parameter counts")
    p.add_argument("net", help="zoo name or JSON file")
    p.add_argument("--input-shape", type=positive_int, nargs="+", metavar="D",
                   help="override the data layer's per-sample shape, e.g. 3 32 32")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("data", help="data sets: download and verify MNIST")
    p.add_argument("dataset", choices=["mnist"])
    g = p.add_mutually_exclusive_group()
    g.add_argument("--download", metavar="DIR", help="fetch the four IDX files into DIR "
                                                     "(SHA-256 checked)")
    g.add_argument("--verify", metavar="DIR", help="check the files in DIR against the digests")
    p.add_argument("--mirror", action="append", metavar="URL",
                   help="base URL to fetch from (repeatable; default: the public mirrors)")
    p.add_argument("--force", action="store_true", help="download even files already present")
    p.set_defaults(func=cmd_data)


# --------------------------------------------------------------------- train
def _settings(args: argparse.Namespace, recipe: dict[str, Any]) -> dict[str, Any]:
    s = dict(_RECIPE_DEFAULTS)
    s.update({k: v for k, v in recipe.items() if k in s})
    for key in s:
        v = getattr(args, key, None)
        if v is not None:
            s[key] = v
    return s


def _make_optimizer(s: dict[str, Any], steps_per_epoch: int) -> Any:
    from .optim import make_optimizer, make_schedule

    sched = make_schedule(s["schedule"], total_steps=max(1, s["epochs"] * steps_per_epoch),
                          step_size=s["step_size"] * steps_per_epoch, gamma=s["gamma"],
                          min_factor=s["min_lr_factor"],
                          warmup_steps=int(round(s["warmup_epochs"] * steps_per_epoch)))
    return make_optimizer(s["optimizer"], lr=s["lr"], momentum=s["momentum"],
                          weight_decay=s["weight_decay"], schedule=sched)


def _check_input(net: Any, ds: Any) -> None:
    for layer in net.plans["train"].data_layers:
        if tuple(layer.sample_shape) != ds.sample_shape:
            raise ValueError(f"network {net.name!r} expects inputs of shape {layer.sample_shape} "
                             f"but {ds.name} samples are {ds.sample_shape}")


def cmd_train(args: argparse.Namespace) -> int:
    """``nigiri train``."""
    from .data import load_dataset
    from .graph import Network
    from .io import load_checkpoint
    from .train import Trainer

    Trainer = getattr(args, "trainer_class", None) or Trainer  # set by nigiri.distributed

    ds = load_dataset(args.data, args.data_dir)
    log = print
    if args.resume:
        ck = load_checkpoint(args.resume)
        st = ck.trainer
        batch_size = int(st.get("batch_size", args.batch_size or 64))
        if args.batch_size and args.batch_size != batch_size:
            raise ValueError(f"--batch-size {args.batch_size} differs from the checkpoint's {batch_size}")
        train, test = ds.loaders(batch_size, seed=int(st.get("data_seed", args.seed)), device=args.backend)
        trainer = Trainer.resume(ck, train, test, device=args.backend, epochs=args.epochs,
                                 out_dir=args.out or ck.path.parent, progress=not args.no_progress,
                                 log=log, extra_meta={"data": args.data})
        net = trainer.net
        _check_input(net, ds)
        log(f"resuming {net.name} from {ck.path} (epoch {trainer.epoch}, batch {trainer.batch}, "
            f"step {trainer.optimizer.step_count}) on {net.backend.device_name}")
    else:
        if not args.net:
            raise ValueError("train: give a network (zoo name or JSON file) or --resume CKPT")
        probe = Network.from_json(args.net, weights=False)
        _check_input(probe, ds)
        s = _settings(args, probe.recipe)
        net = Network.from_json(args.net, device=args.backend, seed=args.seed,
                                batch_size=s["batch_size"])
        train, test = ds.loaders(s["batch_size"], seed=args.seed, device=args.backend)
        opt = _make_optimizer(s, len(train))
        out = args.out or f"runs/{net.name}-{time.strftime('%Y%m%d-%H%M%S')}"
        trainer = Trainer(net, opt, train, test, epochs=s["epochs"], accumulate=args.accumulate,
                          out_dir=out, progress=not args.no_progress, log=log,
                          extra_meta={"data": args.data, "settings": s})
        log(f"training {net.name} ({net.num_params():,} parameters) on {net.backend.device_name}: "
            f"{ds.source}, {len(ds.train_labels):,} train / {len(ds.test_labels):,} test; "
            f"{s['optimizer']} lr {s['lr']} ({s['schedule']}), batch {s['batch_size']}, "
            f"{s['epochs']} epochs; checkpoints in {out}")
    result = trainer.fit()
    if args.json:
        print(json.dumps({"history": result["history"], "interrupted": result["interrupted"],
                          "checkpoint": str(result["checkpoint"]) if result["checkpoint"] else None}))
    return 130 if result["interrupted"] else 0


# --------------------------------------------------------------------- evaluate
def cmd_evaluate(args: argparse.Namespace) -> int:
    """``nigiri evaluate``."""
    from .data import DataLoader, load_dataset
    from .graph import Network
    from .io import load_checkpoint
    from .train import evaluate

    ck = load_checkpoint(args.checkpoint)
    net = Network(ck.network, device=args.backend, batch_size=args.batch_size)
    net.set_state(ck.model, source=f"weights in {ck.path}")
    ds = load_dataset(args.data, args.data_dir)
    _check_input(net, ds)
    x, y = (ds.test_images, ds.test_labels) if args.split == "test" else (ds.train_images, ds.train_labels)
    loader = DataLoader(x, y, args.batch_size, shuffle=False, device=args.backend)
    t = time.perf_counter()
    res = evaluate(net, loader)
    res.update(seconds=time.perf_counter() - t, checkpoint=str(ck.path), network=net.name,
               backend=net.backend.device_name, split=args.split, data=ds.source,
               epoch=ck.trainer.get("epoch"), step=ck.step)
    loss = "n/a" if res["loss"] is None else f"{res['loss']:.4f}"
    acc = "n/a" if res["accuracy"] is None else f"{100 * res['accuracy']:.2f}%"
    print(f"{net.name} ({ck.path.name}) on {ds.source} [{args.split}], {res['samples']:,} samples: "
          f"accuracy {acc}, loss {loss} ({res['seconds']:.1f} s on {res['backend']})")
    if args.json:
        print(json.dumps(res))
    return 0


# --------------------------------------------------------------------- summary
def cmd_summary(args: argparse.Namespace) -> int:
    """``nigiri summary``."""
    from .graph import Network

    net = Network.from_json(args.net, input_shape=args.input_shape, weights=False)
    desc = net.definition.get("description")
    if desc:
        print(f"{net.name}: {desc}")
    print(net.summary())
    return 0


# --------------------------------------------------------------------- data
def cmd_data(args: argparse.Namespace) -> int:
    """``nigiri data mnist [--download DIR | --verify DIR]``."""
    from .data.mnist import MNIST_MIRRORS, OFFLINE_DIR, download_mnist, load_mnist, verify_mnist

    if args.download:
        def progress(name: str, done: int, total: int) -> None:
            if sys.stderr.isatty():
                print(f"\r{name}: {done * 100 // max(total, 1):3d}%", end="", file=sys.stderr)

        status = download_mnist(args.download, mirrors=args.mirror or MNIST_MIRRORS,
                                force=args.force, progress=progress)
        if sys.stderr.isatty():
            print(file=sys.stderr)
        for name, what in status.items():
            print(f"{name}: {what} (sha256 ok)")
        tx, _ = load_mnist(args.download, "train")
        vx, _ = load_mnist(args.download, "test")
        print(f"MNIST in {args.download}: {len(tx):,} train / {len(vx):,} test images")
        return 0
    if args.verify:
        status = verify_mnist(args.verify)
        for name, what in status.items():
            print(f"{name}: {what}")
        return 0 if all(v == "ok" for v in status.values()) else 1
    tx, _ = load_mnist(None, "train")
    vx, _ = load_mnist(None, "test")
    print(f"offline MNIST subset: {len(tx):,} train / {len(vx):,} test digits in {OFFLINE_DIR} "
          "(checksums ok; CC BY-SA 3.0, see README.md there)")
    print("full MNIST: nigiri data mnist --download DIR, then --data-dir DIR")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m nigiri.nn.cli train ...``)."""
    parser = argparse.ArgumentParser(prog="nigiri")
    add_subcommands(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    from ..cli import run_command

    return run_command(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
