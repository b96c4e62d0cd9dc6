"""The one timer every suite uses.

A measurement is: warm-up calls (compilation, caches, allocator pools), then samples
until both a minimum count and a minimum total duration are reached (or a time cap is
hit). Each sample times a batch of ``number`` calls followed by a device
synchronisation, so asynchronous backends are timed to completion; ``number`` is chosen
(like ``timeit.Timer.autorange``) so that one sample lasts at least ``min_sample_s``,
which keeps timer resolution and synchronisation cost out of per-call figures for tiny
operations. When the target offers device events (CUDA), each sample is also timed with
them and both clocks are kept.

Statistics are the median and the interquartile range of the per-call times.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["TimerConfig", "Measurement", "measure", "summarize", "QUICK", "FULL"]


@dataclass(frozen=True)
class TimerConfig:
    """How long and how often to measure one (task, target) pair."""

    warmup_calls: int = 2          # untimed calls before anything else
    warmup_s: float = 0.05         # and keep warming up until this much time has passed
    min_repeats: int = 7           # at least this many samples
    min_time_s: float = 0.5        # and at least this much measured time in total
    max_time_s: float = 8.0        # stop after this long once min_repeats are in (and
    #                                after 4x this long with at least 3 samples)
    max_repeats: int = 200         # never more samples than this
    min_sample_s: float = 2e-3     # a sample (batch of calls) lasts at least this long
    max_number: int = 100_000      # calls per sample never exceed this

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


FULL = TimerConfig()
QUICK = TimerConfig(warmup_calls=1, warmup_s=0.0, min_repeats=3, min_time_s=0.0,
                    max_time_s=0.5, max_repeats=10, min_sample_s=2e-4, max_number=1000)


@dataclass
class Measurement:
    """Raw samples (seconds per call) and the clock that produced the primary ones."""

    samples_s: list[float]
    number: int                      # calls per sample
    clock: str                       # "wall+sync" or "cuda-events"
    wall_samples_s: list[float] = field(default_factory=list)
    warmup_calls: int = 0

    @property
    def median_s(self) -> float:
        return statistics.median(self.samples_s)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "clock": self.clock, "number": self.number, "warmup_calls": self.warmup_calls,
            "samples_s": self.samples_s,
        }
        if self.wall_samples_s and self.wall_samples_s is not self.samples_s:
            out["wall_samples_s"] = self.wall_samples_s
        out.update(summarize(self.samples_s))
        return out


def summarize(samples: list[float]) -> dict[str, float]:
    """Median, quartiles, IQR, min and count of a list of per-call times (seconds)."""
    if not samples:
        raise ValueError("summarize: no samples")
    s = sorted(samples)
    if len(s) >= 2:
        q1, _, q3 = statistics.quantiles(s, n=4, method="inclusive")
    else:
        q1 = q3 = s[0]
    return {"median_s": statistics.median(s), "q1_s": q1, "q3_s": q3, "iqr_s": q3 - q1,
            "min_s": s[0], "n": len(s)}


EventTimer = Callable[[Callable[[], Any], int], float]


def _run_batch(fn: Callable[[], Any], number: int, sync: Callable[[], None]) -> float:
    """Wall time of ``number`` calls plus one synchronisation, in seconds."""
    perf = time.perf_counter
    t0 = perf()
    for _ in range(number):
        fn()
    sync()
    return perf() - t0


def _next_number(number: int) -> int:
    """The next batch size in the 1, 2, 5, 10, 20, 50, ... sequence."""
    scale = 10 ** (len(str(number)) - 1)
    lead = number // scale
    return (2 if lead < 2 else 5 if lead < 5 else 10) * scale


def measure(fn: Callable[[], Any], sync: Callable[[], None], config: TimerConfig = FULL,
            event_timer: EventTimer | None = None) -> Measurement:
    """Time ``fn`` (a zero-argument callable) per :class:`TimerConfig`.

    ``sync`` blocks until the device is idle; it is called before the first sample and
    at the end of every sample. ``event_timer(fn, number)``, when given, runs ``fn``
    ``number`` times between two device events and returns the elapsed device time in
    seconds; it then provides the primary samples and wall time is kept beside it.
    """
    perf = time.perf_counter
    # warm-up: compile, fill caches and pools
    start = perf()
    calls = 0
    while calls < config.warmup_calls or perf() - start < config.warmup_s:
        fn()
        sync()  # so asynchronous devices never queue more warm-up work than warmup_s
        calls += 1

    # choose the batch size: 1, 2, 5, 10, 20, 50, ... until a batch is long enough
    number = 1
    while True:
        elapsed = _run_batch(fn, number, sync)
        if elapsed >= config.min_sample_s or number >= config.max_number:
            break
        number = _next_number(number)
        number = min(number, config.max_number)

    wall: list[float] = []
    dev: list[float] = []
    t_begin = perf()
    total = 0.0
    while True:
        if event_timer is not None:
            w0 = perf()
            dev.append(event_timer(fn, number) / number)
            wall.append((perf() - w0) / number)
        else:
            wall.append(_run_batch(fn, number, sync) / number)
        total += wall[-1] * number
        n = len(wall)
        if n >= config.max_repeats:
            break
        elapsed = perf() - t_begin
        if n >= config.min_repeats and (total >= config.min_time_s or elapsed >= config.max_time_s):
            break
        if n >= 3 and elapsed >= 4 * config.max_time_s:  # very slow calls: 3 samples suffice
            break
    if event_timer is not None:
        return Measurement(dev, number, "cuda-events", wall, calls)
    return Measurement(wall, number, "wall+sync", wall, calls)
