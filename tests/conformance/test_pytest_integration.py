"""``pytest --nigiri-backend NAME``: the default device of every test, state reset."""

from __future__ import annotations

import os
import subprocess
import sys

import nigiri as ng
import nigiri.backends as registry


def test_default_device_is_the_backend_under_test(nigiri_backend):
    assert os.environ["NIGIRI_BACKEND"] == nigiri_backend
    assert ng.asarray([1.0]).device.name == registry.get_device(nigiri_backend).device_name


def test_state_changes_made_by_one_test(nigiri_backend):
    ng.use("fake:1")  # a bare call: stays for this context until reset
    ng.random.seed(123)
    assert ng.asarray([1.0]).device.name == "fake:1"


def test_state_is_reset_for_the_next_test(nigiri_backend):
    assert ng.asarray([1.0]).device.name == registry.get_device(nigiri_backend).device_name
    a = ng.random.normal(size=3)
    ng.random.seed(123)
    b = ng.random.normal(size=3)
    assert not bool(ng.all(a == b))  # the previous test's seed did not leak


def test_option_selects_backend_in_a_fresh_session():
    here = os.path.dirname(__file__)
    root = os.path.dirname(os.path.dirname(here))
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           os.path.join(here, "test_pytest_integration.py"), "--nigiri-backend", "fake:1",
           "-k", "default_device or reset_for_the_next"]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout
    bad = subprocess.run(cmd[:-2] + ["--nigiri-backend", "nosuch"], cwd=root,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "unknown backend 'nosuch'" in bad.stderr
