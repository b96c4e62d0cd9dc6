"""Registry, selection, devices and capabilities, exercised with the fake backend."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import nigiri as ng
import nigiri.backends as registry
from nigiri.backends.contract import OPTIONAL_PRIMITIVES, PRIMITIVES, implemented_primitives


def _available_classes():
    out = []
    for name in registry.names():
        try:
            cls = registry.backend_class(name)
            cls.device_count()  # importable but without a device (cupy on CI): skip
        except ng.BackendUnavailableError:
            continue
        out.append(cls)
    return out


def test_every_registered_backend_implements_the_contract():
    classes = _available_classes()
    assert {c.name for c in classes} >= {"numpy", "fake"}
    for cls in classes:
        missing = set(PRIMITIVES) - implemented_primitives(cls)
        inst = registry.get_device(cls.name if cls.single_device else f"{cls.name}:0")
        declared = set(inst.capabilities.unsupported)
        if inst.capabilities.host_linalg:
            declared.add("linalg")
        undeclared = missing - declared - set(OPTIONAL_PRIMITIVES) if cls.name != "numpy" else missing
        assert not undeclared, f"{cls.name} lacks primitives {sorted(undeclared)} without declaring them"


def test_unknown_backend_lists_names_and_suggests():
    with pytest.raises(ValueError) as info:
        ng.zeros(2, device="nunpy")
    msg = str(info.value)
    assert "numpy" in msg and "did you mean 'numpy'" in msg and "opencl" in msg


def test_bad_device_specs():
    with pytest.raises(ValueError, match="integer"):
        ng.zeros(2, device="fake:x")
    with pytest.raises(ValueError, match="does not exist"):
        ng.zeros(2, device="fake:7")
    with pytest.raises(TypeError, match="device"):
        ng.zeros(2, device=3.5)


def test_unavailable_backend_raises_with_install_hint(monkeypatch):
    registry.register_backend("ghost", "nigiri_does_not_exist.module:BACKEND")
    try:
        with pytest.raises(ng.BackendUnavailableError, match="not available"):
            ng.zeros(2, device="ghost")
        rec = {r["backend"]: r for r in registry.info()}["ghost"]
        assert not rec["available"] and "nigiri_does_not_exist" in rec["reason"]
    finally:
        registry.unregister_backend("ghost")
    assert issubclass(ng.BackendUnavailableError, RuntimeError)


def test_mixing_devices_raises_naming_both():
    a = ng.ones(3, device="fake:0")
    b = ng.ones(3, device="fake:1")
    with pytest.raises(ValueError) as info:
        a + b
    assert "fake:0" in str(info.value) and "fake:1" in str(info.value)
    with pytest.raises(ValueError, match="numpy"):
        ng.ones(3, device="numpy") * a
    with pytest.raises(ValueError, match="different devices"):
        ng.concat([a, b])


def test_transfers_and_capabilities():
    a = ng.asarray(np.arange(4.0), device="fake:0", dtype=ng.float64)
    assert a.device == "fake:0" and str(a.device) == "fake:0"
    with pytest.raises(TypeError, match="fake:1.*float64"):
        a.to_device("fake:1")
    b = a.astype(ng.float32).to_device("fake:1")
    assert b.device == ng.Device(registry.get_device("fake:1"))
    np.testing.assert_array_equal(ng.to_numpy(b), np.arange(4.0))
    with pytest.raises(TypeError, match="does not support dtype float64"):
        ng.zeros(2, dtype=ng.float64, device="fake:1")
    with pytest.raises(TypeError, match="complex128"):
        ng.asarray([1j], dtype=ng.complex128, device="fake:1")
    info = ng.__array_namespace_info__()
    assert "float64" not in info.dtypes(device="fake:1")
    assert "float64" in info.dtypes(device="fake:0")
    with pytest.raises(TypeError, match="to_numpy"):
        np.asarray(b)  # no implicit transfer from a device backend


def test_precedence_device_arg_over_use_over_env(monkeypatch):
    monkeypatch.setenv("NIGIRI_BACKEND", "fake:1")
    from nigiri.arrays import device as dev

    dev.reset_state()
    assert ng.zeros(1).device == "fake:1"
    with ng.use("fake:0") as d:
        assert d == "fake:0"
        assert ng.zeros(1).device == "fake:0"
        assert ng.zeros(1, device="numpy").device == "numpy"
        with ng.use("numpy"):
            assert ng.zeros(1).device == "numpy"
        assert ng.zeros(1).device == "fake:0"
    assert ng.zeros(1).device == "fake:1"
    monkeypatch.setenv("NIGIRI_BACKEND", "numpy")
    dev.reset_state()
    assert ng.zeros(1).device == "numpy"


def test_use_is_context_local():
    import contextvars

    def inner():
        ng.use("fake:0")
        return str(ng.zeros(1).device)

    before = str(ng.zeros(1).device)
    assert contextvars.copy_context().run(inner) == "fake:0"
    assert ng.zeros(1).device == before


def test_allow_tf32_flag(monkeypatch):
    from nigiri.arrays.device import tf32_allowed

    assert tf32_allowed() is False
    with ng.use(allow_tf32=True):
        assert tf32_allowed() is True
    monkeypatch.setenv("NIGIRI_ALLOW_TF32", "1")
    assert tf32_allowed() is True
    with pytest.raises(TypeError, match="bool"):
        ng.use(allow_tf32="yes")


def test_auto_selects_a_working_backend(monkeypatch):
    monkeypatch.setattr(registry, "AUTO_ORDER", (("fake", "gpu"), ("numpy", None)))
    monkeypatch.setattr(registry, "_probe_hook", lambda be: None)
    assert registry.get_device("auto").device_name == "fake:0"
    monkeypatch.setattr(registry, "_probe_hook", lambda be: "planted failure")
    with pytest.warns(UserWarning, match="fake:0.*planted failure"):
        assert registry.get_device("auto").device_name == "numpy"


def test_entry_point_backends(monkeypatch):
    class EP:
        name = "plugin"

        def load(self):
            from nigiri.backends.fake import FakeBackend

            return FakeBackend

    monkeypatch.setattr(registry, "_entry_points", {"plugin": EP()})
    assert "plugin" in registry.names()
    assert registry.backend_class("plugin").__name__ == "FakeBackend"
    registry._classes.pop("plugin", None)


def test_info_lists_every_backend_with_reason_or_devices():
    recs = {r["backend"]: r for r in registry.info()}
    assert set(recs) >= {"numpy", "numba", "opencl", "cupy", "fake"}
    assert recs["numpy"]["available"] and recs["numpy"]["devices"][0]["device"] == "numpy"
    assert len(recs["fake"]["devices"]) == 2
    for r in recs.values():
        assert r["available"] or r["reason"]


def test_import_is_lazy():
    import subprocess
    import sys

    code = ("import sys, nigiri; bad=[m for m in ('numba','pyopencl','cupy','torch') if m in sys.modules];"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_config_reads_env(monkeypatch):
    from nigiri import _config

    monkeypatch.setenv("NIGIRI_OPENCL_DEVICE", "x")
    with pytest.raises(ValueError, match="NIGIRI_OPENCL_DEVICE"):
        _config.opencl_device_index()
    monkeypatch.setenv("NIGIRI_OPENCL_DEVICE", "1")
    assert _config.opencl_device_index() == 1
    monkeypatch.setenv("NIGIRI_CHECK", "yes")
    assert _config.check_enabled()
    importlib.reload(_config)
