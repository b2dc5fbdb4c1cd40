"""Grading accuracy of part 2: every automatic item within 0.25 of the instructor.

Needs the structured extra (torch, NNI, onnx, litert-torch); each case is a
full sandboxed grading of about 40 s of CPU time, so the test is slow.
"""

from __future__ import annotations

import importlib.util

import pytest

from tests.structured import corpus

NEEDS = ("torch", "nni", "onnx", "litert_torch")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        any(importlib.util.find_spec(n) is None for n in NEEDS),
        reason="part 2's packages are not installed (./run structured)",
    ),
]


@pytest.mark.parametrize("name", list(corpus.CASES))
def test_case_within_a_quarter_point(name, tmp_path):
    results = corpus.grade_case(name, tmp_path)
    points = corpus.structured_points(results)
    expected = corpus.CASES[name]["expected"]
    off = {
        item: (points.get(item), want)
        for item, want in expected.items()
        if points.get(item) is None or abs(points[item] - want) > 0.25
    }
    assert not off, f"{name}: grader vs instructor {off}"
    proof = corpus.CASES[name].get("proof", corpus.PROVEN)
    seen = {
        f["check"].rsplit(".", 1)[1]: f["passed"]
        for item in results["items"]
        for f in item["findings"]
        if f["check"]
        in (
            "artifact.structured_pruner.pruned",
            "artifact.structured_fine_tune.changed",
        )
    }
    assert seen == proof, f"{name}: out-of-process proof {seen}, expected {proof}"


def test_every_deduction_has_a_reason():
    for name, case in corpus.CASES.items():
        for item, want in case["expected"].items():
            if want < corpus.CODE_ITEMS[item]:
                assert item in case["reasons"], (name, item)
