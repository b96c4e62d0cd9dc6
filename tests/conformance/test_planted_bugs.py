"""The suite must be able to fail: each planted bug is reported, naming the op."""

from __future__ import annotations

import pytest

import nigiri.backends as registry
from nigiri.conformance.runner import run_backend

from .planted import ALL_PLANTED

# planted backend -> (ops that must fail, a phrase of the failure message, ops that must pass)
EXPECTED = {
    "planted_ulp": ({"sin"}, "ulp", {"cos", "add"}),
    "planted_dtype": ({"add"}, "dtype int64 (expected int32)", {"subtract"}),
    "planted_broadcast": ({"multiply"}, "error above 1 ulp", {"add"}),
    "planted_view": ({"aliasing"}, "values differ", {"sin"}),
    "planted_nan": ({"maximum"}, "NaN not propagated", {"minimum"}),
    "planted_swallow": ({"reshape"}, "did not raise", {"permute_dims"}),
    "planted_qr": ({"qr"}, "||QR - A||", {"inv"}),
    "planted_philox": ({"integers", "random", "uniform", "normal"}, "", {"sum"}),
    "planted_sum": ({"sum"}, "bound", {"prod", "max"}),
}


@pytest.fixture(params=sorted(EXPECTED))
def planted(request):
    name = request.param
    registry.register_backend(name, ALL_PLANTED[name])
    yield name
    registry.unregister_backend(name)


def test_quick_tier_catches_planted_bug(planted):
    must_fail, phrase, must_pass = EXPECTED[planted]
    report = run_backend(planted, quick=True)
    assert report.available, report.reason
    failing = {r.op for r in report.unexpected()}
    assert must_fail <= failing, f"{planted}: expected failures in {must_fail}, got {failing}"
    assert not (must_pass & failing), f"{planted}: collateral failures {must_pass & failing}"
    msgs = [r.message for r in report.unexpected() if r.op in must_fail]
    assert any(phrase in m for m in msgs), msgs[:3]
    bad = next(r for r in report.unexpected() if r.op in must_fail)
    assert bad.reproducer.startswith("import numpy as np") and planted in bad.reproducer
    assert not report.ok


def test_reproducer_reproduces():
    """The printed reproducer runs as is and shows the planted error."""
    registry.register_backend("planted_ulp", ALL_PLANTED["planted_ulp"])
    try:
        report = run_backend("planted_ulp", quick=True, pattern=r"^sin\[float32,strided\]$")
        (res,) = report.results
        assert res.status == "fail"
        env: dict = {}
        exec(res.reproducer.replace("print(out)", ""), env)
        import numpy as np

        import nigiri as ng

        ref = np.sin(ng.to_numpy(env["x1"]))
        got = ng.to_numpy(env["out"])
        assert not np.array_equal(got, ref)
    finally:
        registry.unregister_backend("planted_ulp")


def test_full_tier_hypothesis_catches_planted_bug():
    registry.register_backend("planted_nan", ALL_PLANTED["planted_nan"])
    try:
        report = run_backend("planted_nan", max_examples=60, pattern=r"^maximum\[hypothesis\]$",
                             layers=False)
        (res,) = [r for r in report.results if r.case_id == "maximum[hypothesis]"]
        assert res.status == "fail", res.message
        assert "NaN" in res.message and "minimal example" in res.message
        assert "ng.maximum(x1, x2)" in res.reproducer
    finally:
        registry.unregister_backend("planted_nan")


def test_case_level_fast_path_and_composite():
    import numpy as np

    from nigiri.conformance.case import Case
    from nigiri.conformance.inputs import Input
    from nigiri.conformance.runner import run_cases
    from nigiri.conformance.tolerance import Ulp

    from .test_layers import _BuggyFastSoftmax

    code = ("fp = x1._be.fast_path('softmax')\n"
            "if fp is not None:\n    out = type(x1)._new(fp(x1._buf, 1), x1._be)\n"
            "else:\n    e = ng.exp(x1 - ng.max(x1, axis=1, keepdims=True))\n"
            "    out = e / ng.sum(e, axis=1, keepdims=True)")
    case = Case("softmax[float32,fast]", "softmax", (Input(np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)),),
                code, tol=Ulp(8, signed_zero=False), fast_path="softmax")
    registry.register_backend("planted_fastpath", _BuggyFastSoftmax.make())
    try:
        be, ref = registry.get_device("planted_fastpath"), registry.get_device("numpy")
        res = {r.case_id: r.status for r in run_cases([case], be, ref)}
        assert res == {"softmax[float32,fast]": "fail", "softmax[float32,fast][composite]": "pass"}
        assert [r.status for r in run_cases([case], ref, ref)] == ["pass"]
    finally:
        registry.unregister_backend("planted_fastpath")
