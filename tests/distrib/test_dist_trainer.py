"""DataParallelTrainer on in-process clusters: equivalence, compression, mixed
backends, probes, joins, no workers.

Tolerance: a distributed step sums micro-batch gradients, a one-process step computes
one big-batch gradient; both are float32 sums of the same terms in different orders,
so they differ by a few ULP per step (|diff| <~ n * eps * sum|terms|). Over the few
momentum steps here that stays below 1e-5 of the weights' scale: we allow
rtol 1e-4 + atol 1e-5. With the same split (``Trainer(accumulate=k)``) the sum is done
in the same order and the weights must be bit-identical.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from dist_helpers import TINY, params_of, tiny_data, train

import nigiri.backends as registry
from nigiri.distributed import (DataParallelTrainer, NoWorkersError, WorkerRefusedError,
                                start_local_cluster)
from nigiri.nn.io import load_checkpoint


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def _assert_close(a, b):
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-4, atol=1e-5, err_msg=k)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_n_workers_equal_one_process(threaded_cluster, n):
    x, y = tiny_data()
    one, _ = train(TINY, x, y)
    same_split, _ = train(TINY, x, y, accumulate=n)
    _, client = threaded_cluster(n)
    got, tr = train(TINY, x, y, client=client)
    assert [s["workers"] for s in tr.step_stats] == [n] * 6
    assert len(tr.devices) == n  # every worker took part
    _assert_same(got, same_split)
    _assert_close(got, one)
    # a fixed split makes the result independent of the number of workers
    fixed, _ = train(TINY, x, y, client=client, trainer_kwargs={"micro_batches": 4})
    _assert_same(fixed, train(TINY, x, y, accumulate=4)[0])


def test_history_and_checkpoint_match_the_trainer(threaded_cluster, tmp_path):
    x, y = tiny_data()
    _, client = threaded_cluster(2)
    _, ref = train(TINY, x, y, accumulate=2)
    _, tr = train(TINY, x, y, client=client, trainer_kwargs={"out_dir": tmp_path})
    for a, b in zip(ref.history, tr.history):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-6)
        assert a["train_accuracy"] == b["train_accuracy"]
    ck = load_checkpoint(tmp_path)
    assert ck.step == 6 and ck.trainer["distributed"]["compress"] == "none"


def test_int8_sends_four_times_fewer_gradient_bytes_and_still_learns(threaded_cluster):
    x, y = tiny_data(256)
    _, client = threaded_cluster(2)
    full, tr_f = train(TINY, x, y, client=client, epochs=3, lr=0.1)
    comp, tr_c = train(TINY, x, y, client=client, epochs=3, lr=0.1,
                       trainer_kwargs={"compress": "int8"})
    for s in tr_c.step_stats:
        assert s["bytes_grads_raw"] / s["bytes_grads"] > 3.9
        assert s["bytes_grads_raw"] == tr_f.step_stats[0]["bytes_grads"]
    acc_f = tr_f.history[-1]["train_accuracy"]
    acc_c = tr_c.history[-1]["train_accuracy"]
    assert acc_f > 0.5 and abs(acc_f - acc_c) < 0.1
    # error feedback keeps the weights close to the uncompressed run
    for k in full:
        assert np.linalg.norm(comp[k] - full[k]) < 0.1 * np.linalg.norm(full[k]) + 1e-3


def test_weights_are_sent_once_per_version(threaded_cluster):
    x, y = tiny_data()
    _, client = threaded_cluster(3)
    _, tr = train(TINY, x, y, client=client, trainer_kwargs={"micro_batches": 6})
    state_bytes = sum(v.nbytes for v in params_of(tr.net).values())
    for s in tr.step_stats:  # 6 micro-batches, 3 workers: 3 copies, not 6
        assert s["bytes_weights"] == 3 * state_bytes
        assert s["micro_batches"] == 6
    bar = tr.progress_postfix()  # the progress bar's extra fields
    assert bar["workers"] == "3" and bar["bytes_step"].endswith("kB")


def test_mixed_backends_in_one_run(threaded_cluster):
    """numpy and the test-only fake device backend in one cluster."""
    x, y = tiny_data()
    _, client = threaded_cluster(2, backends=["numpy", "fake:0"])
    got, tr = train(TINY, x, y, client=client)
    assert sorted(tr.devices.values()) == ["fake:0", "numpy"]
    _assert_close(got, train(TINY, x, y, accumulate=2)[0])


def test_worker_failing_its_probe_refuses_to_join(monkeypatch):
    monkeypatch.setattr(registry, "_probe_hook", None)
    registry.set_probe_hook(lambda dev: "sum is off by 3 ulp" if dev.name == "fake" else None)
    with pytest.raises(WorkerRefusedError, match=r"fake:1 failed the conformance probe: sum is off"):
        start_local_cluster(1, backends="fake:1", processes=False)
    with pytest.raises(WorkerRefusedError, match="'nope' is unusable"):
        start_local_cluster(1, backends="nope", processes=False)


def test_worker_joining_mid_run_takes_part(threaded_cluster):
    x, y = tiny_data()
    cluster, client = threaded_cluster(2)

    class Joining(DataParallelTrainer):
        def train_step(self, xb, yb):
            if self.optimizer.step_count == 2:
                cluster.scale(3)
                client.wait_for_workers(3, timeout=30)
            return super().train_step(xb, yb)

    got, tr = train(TINY, x, y, client=client, trainer_cls=Joining,
                    trainer_kwargs={"micro_batches": 3})
    assert [s["workers"] for s in tr.step_stats] == [2, 2, 3, 3, 3, 3]
    assert len(tr.devices) == 3
    _assert_same(got, train(TINY, x, y, accumulate=3)[0])


def test_no_workers_left_checkpoints_and_raises(threaded_cluster, tmp_path):
    x, y = tiny_data()
    cluster, client = threaded_cluster(1)

    class Losing(DataParallelTrainer):
        def train_step(self, xb, yb):
            if self.optimizer.step_count == 2:
                cluster.scale(0)
                deadline = time.monotonic() + 30
                while client.ncores() and time.monotonic() < deadline:
                    time.sleep(0.05)
            return super().train_step(xb, yb)

    with pytest.raises(NoWorkersError, match=r"no workers left for 0.5 s at step 2.*checkpoint written"):
        train(TINY, x, y, client=client, trainer_cls=Losing,
              trainer_kwargs={"worker_timeout": 0.5, "out_dir": tmp_path})
    ck = load_checkpoint(tmp_path)
    assert ck.step == 2 and ck.trainer["batch"] == 2


def test_bad_arguments(threaded_cluster):
    x, y = tiny_data()
    _, client = threaded_cluster(1)
    with pytest.raises(ValueError, match="micro_batches"):
        train(TINY, x, y, client=client, trainer_kwargs={"micro_batches": 0})
    with pytest.raises(ValueError, match="compress"):
        train(TINY, x, y, client=client, trainer_kwargs={"compress": "int4"})
    from nigiri.nn import Network
    from nigiri.nn.data.loader import DataLoader
    from nigiri.nn.optim import make_optimizer

    with pytest.raises(ValueError, match="Client"):
        DataParallelTrainer(Network.from_json(TINY), make_optimizer("sgd", lr=0.1),
                            DataLoader(x, y, 32), client=None)


def test_allreduce_mode_replicas_match_the_parameter_server(threaded_cluster, tmp_path):
    """reduce='local' runs the NCCL mode's logic (replicated weights and optimizer,
    gradients summed among the workers) with a thread-barrier sum instead of NCCL."""
    x, y = tiny_data()
    _, client = threaded_cluster(2)
    got, tr = train(TINY, x, y, client=client,
                    trainer_kwargs={"reduce": "local", "out_dir": tmp_path})
    assert len(tr.devices) == 2 and all(s["bytes_weights"] == 0 for s in tr.step_stats)
    _assert_same(got, train(TINY, x, y, accumulate=2)[0])
    ck = load_checkpoint(tmp_path)
    assert ck.step == 6 and set(ck.optimizer_arrays) == {f"velocity/{k}" for k in got}
    # on CPU workers, auto falls back to the parameter server
    _, tr2 = train(TINY, x, y, client=client, trainer_kwargs={"reduce": "auto"})
    assert tr2.reduce == "driver"
    with pytest.raises(ValueError, match="needs every worker on a CUDA device"):
        train(TINY, x, y, client=client, trainer_kwargs={"reduce": "nccl"})


def test_resume_after_no_workers_gives_the_uninterrupted_weights(threaded_cluster, tmp_path):
    """The no-worker checkpoint resumes (on new workers) to the very same weights."""
    from nigiri.nn.data.loader import DataLoader

    x, y = tiny_data()
    cluster, client = threaded_cluster(2)
    full, _ = train(TINY, x, y, client=client, trainer_kwargs={"micro_batches": 2})

    class Losing(DataParallelTrainer):
        def train_step(self, xb, yb):
            if self.optimizer.step_count == 4:
                cluster.scale(0)
                deadline = time.monotonic() + 30
                while client.ncores() and time.monotonic() < deadline:
                    time.sleep(0.05)
            return super().train_step(xb, yb)

    with pytest.raises(NoWorkersError):
        train(TINY, x, y, client=client, trainer_cls=Losing,
              trainer_kwargs={"worker_timeout": 0.2, "out_dir": tmp_path, "micro_batches": 2})
    cluster.scale(2)
    client.wait_for_workers(2, timeout=30)
    dl = DataLoader(x, y, 32, shuffle=True, seed=3, prefetch=0)
    tr = DataParallelTrainer.resume(tmp_path, dl, client=client, micro_batches=2, progress=False,
                                    log=None)
    assert tr.optimizer.step_count == 4 and tr.epoch == 1 and tr.batch == 1
    tr.fit()
    _assert_same(params_of(tr.net), full)


def _numba_reason() -> str | None:
    try:
        registry.get_device("numba")
    except Exception as exc:  # not on this branch / not installed
        return f"numba backend unavailable: {exc}"
    return None


@pytest.mark.slow  # first use compiles the numba kernels (~45 s here; cached on disk)
@pytest.mark.skipif(_numba_reason() is not None, reason=str(_numba_reason()))
def test_numpy_and_numba_workers_in_one_run(threaded_cluster):
    x, y = tiny_data()
    _, client = threaded_cluster(2, backends=["numpy", "numba"])
    got, tr = train(TINY, x, y, client=client)
    assert sorted(tr.devices.values()) == ["numba", "numpy"]
    _assert_close(got, train(TINY, x, y, accumulate=2)[0])


def test_plain_dask_worker_failing_its_probe_is_left_out(threaded_cluster, monkeypatch):
    """A worker started without nigiri's plugin checks its backend on its first task;
    when the probe fails its micro-batches go to the others and it gets no more."""
    x, y = tiny_data()
    cluster, client = threaded_cluster(2)
    client.run(lambda: None)  # the two nigiri workers have checked numpy already
    monkeypatch.setattr(registry, "_probe_hook", None)
    registry.set_probe_hook(lambda dev: "max is off" if dev.name == "fake" else None)
    monkeypatch.setenv("NIGIRI_BACKEND", "fake:1")
    cluster.scale(3)  # a plain Dask worker: NIGIRI_BACKEND (fake:1) decides its backend
    client.wait_for_workers(3, timeout=30)
    logs: list[str] = []
    got, tr = train(TINY, x, y, client=client, trainer_kwargs={"micro_batches": 3, "log": logs.append})
    assert len(tr.refused) == 1
    (addr, reason), = tr.refused.items()
    assert "fake:1 failed the conformance probe: max is off" in reason and addr not in tr.devices
    assert any("refuses to work" in line for line in logs)
    _assert_same(got, train(TINY, x, y, accumulate=3)[0])


def test_a_bare_gpu_family_spreads_workers_over_its_gpus(monkeypatch):
    from nigiri.backends.fake import FakeBackend
    from nigiri.distributed.cluster import spread_over_gpus

    assert spread_over_gpus(["fake", "numpy", None]) == ["fake", "numpy", None]  # one GPU
    monkeypatch.setattr(FakeBackend, "device_kinds", classmethod(lambda cls: ["gpu", "gpu"]))
    assert spread_over_gpus(["fake"]) == ["fake:0", "fake:1"]
    assert spread_over_gpus(["fake:1", "nope"]) == ["fake:1", "nope"]
