"""Known-failure lists: parsing, xfail, and an xfail that passes is an error."""

from __future__ import annotations

import pytest

import nigiri.backends as registry
from nigiri.conformance import xfails
from nigiri.conformance.runner import run_backend

from .planted import OffByULPs


def test_parse_entries_and_reject_missing_reason():
    entries = xfails.parse("# comment\n\nsin[float32,*]  # libm differs\nadd[int8,edge] # overflow\n", "t.txt")
    assert [(e.pattern, e.reason, e.line) for e in entries] == [
        ("sin[float32,*]", "libm differs", 3), ("add[int8,edge]", "overflow", 4)]
    with pytest.raises(ValueError, match="t.txt:1: an xfail entry needs a reason"):
        xfails.parse("sin[float32,edge]\n", "t.txt")
    with pytest.raises(ValueError, match="malformed case id"):
        xfails.parse("sin [float32]  # why\n", "t.txt")


def test_wildcards_match_brackets_literally():
    entries = xfails.parse("sin[float32,*]  # r\n", "t")
    assert xfails.match("sin[float32,edge]", entries) is not None
    assert xfails.match("sin[float64,edge]", entries) is None
    assert xfails.match("sinh[float32,edge]", entries) is None


def test_packaged_lists_parse():
    from importlib import resources

    folder = resources.files("nigiri.conformance").joinpath("xfail")
    names = [p.name for p in folder.iterdir() if p.name.endswith(".txt")]
    assert "numpy.txt" in names
    for name in names:
        xfails.load(name[:-4])  # raises on a malformed entry


@pytest.fixture
def planted_ulp():
    registry.register_backend("planted_ulp", OffByULPs)
    yield "planted_ulp"
    registry.unregister_backend("planted_ulp")


def test_listed_failure_becomes_xfail_and_listed_pass_is_an_error(planted_ulp, tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("sin[float32,*]  # planted: 300 ulp\n")
    rep = run_backend(planted_ulp, quick=True, xfail_file=str(f), pattern=r"^(sin|cos)\[")
    sins = [r for r in rep.results if r.op == "sin" and "float32" in r.case_id]
    assert sins and all(r.status == "xfail" for r in sins)
    assert "planted: 300 ulp" in sins[0].message
    assert rep.ok
    f.write_text("sin[float32,*]  # planted\ncos[float32,strided]  # not really failing\n")
    rep = run_backend(planted_ulp, quick=True, xfail_file=str(f), pattern=r"^(sin|cos)\[")
    (xp,) = [r for r in rep.results if r.status == "xpass"]
    assert xp.case_id == "cos[float32,strided]" and "remove the entry" in xp.message
    assert not rep.ok
