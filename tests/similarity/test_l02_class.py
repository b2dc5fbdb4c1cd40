"""Lab 02's class: the copies are flagged, honest pairs with the same outputs are not.

The expected pairs are in ``fixtures/l02_expected.toml``, written before the
detector ran on the class (who is who: ``l02_class.py``).
"""

from __future__ import annotations

import itertools
import tomllib

import pytest

from grading.pipeline.rubric import load_rubric
from grading.private.similarity.settings import from_rubric

from . import code_builder
from . import l02_class as l02

pytestmark = pytest.mark.slow  # builds six repositories with images once

EXPECTED = tomllib.loads(
    (l02.FIXTURES / "l02_expected.toml").read_text(encoding="utf-8")
)
COPIES = {(e["a"], e["b"]): e for e in EXPECTED["flagged"]}
SETTINGS = from_rubric(load_rubric(l02.LAB))
BEN_RENAMES = {
    "open_interpreter": "make_runner",
    "save_bytes": "dump",
    "runner": "interp",
    "first_in": "in_detail",
    "first_out": "out_detail",
    "slot_in": "det_in",
    "slot_out": "det_out",
    "source": "keras_net",
    "conv": "converter",
    "ints": "quant",
    "wanted": "limit",
    "taken": "count",
    "payload": "data",
    "handle": "f",
}
ANSWERS = {
    name: [texts[f"q{n}"] for n in range(1, 5)]
    for name, texts in tomllib.loads(
        (l02.FIXTURES / "l02_answers.toml").read_text(encoding="utf-8")
    ).items()
}


@pytest.fixture(scope="module")
def l02_result(tmp_path_factory):
    """Build the class and run the detector once (the package's stored data)."""
    from grading.private.similarity import detect

    root = tmp_path_factory.mktemp("l02-class")
    full, half, quarter = l02.outputs(1.0), l02.outputs(0.5), l02.outputs(0.25)
    ben_code = l02.student_module("ben")
    eve_code = code_builder.add_comments(
        code_builder.reorder_methods(
            code_builder.rename_identifiers(ben_code, BEN_RENAMES)
        )
    )
    plan = {
        "amy": (l02.student_module("amy"), full, l02.times(101), "table"),
        "ben": (ben_code, half, l02.times(102), "table"),
        "cat": (l02.student_module("cat"), half, l02.times(103), "table"),
        "dan": (l02.student_module("dan"), quarter, l02.times(104), "table"),
        "eve": (eve_code, full, l02.times(105), "table"),
        "fin": (l02.student_module("fin"), full, l02.times(101), "bullets"),
    }
    for name, (code, results, times, style) in plan.items():
        student = l02.Student(
            name, code, results, times, ANSWERS[name], style, l02.images_of(results)
        )
        l02.write_submission(root / name, student)
    return detect(root, lab=l02.LAB, jobs=1)


def _pairs(result) -> dict[tuple[str, str], dict]:
    return {tuple(sorted((p["a"], p["b"]))): p for p in result["pairs"]}


def test_exactly_the_copies_are_flagged_each_by_its_signal(l02_result):
    pairs = _pairs(l02_result)
    flagged = {pair for pair, p in pairs.items() if p["flagged"]}
    assert flagged == set(COPIES), {pair: p["signals"] for pair, p in pairs.items()}
    for pair, expected in COPIES.items():
        signals = pairs[pair]["signals"]
        assert SETTINGS.weight(expected["signal"]) * signals[expected["signal"]] >= (
            SETTINGS.threshold
        ), signals
    assert l02_result["warnings"] == []
    assert not [r["student"] for r in l02_result["reference"] if r["flagged"]]


def test_the_same_outputs_of_correct_code_are_not_evidence(l02_result):
    pairs = _pairs(l02_result)
    honest = [
        pair
        for pair in itertools.combinations(sorted(ANSWERS), 2)
        if pair not in COPIES
    ]
    assert len(honest) == 15 - len(COPIES)
    assert not [pair for pair in honest if pairs.get(pair, {}).get("flagged")]
    # amy and eve, ben and cat: the same metrics and matrices, nothing of weight
    for pair in (("amy", "eve"), ("ben", "cat")):
        assert pairs.get(pair, {"score": 0.0})["score"] < SETTINGS.threshold / 2
    # fin is found by amy's inference times, not by the metrics everyone has
    fin = next(e for e in pairs[("amy", "fin")]["evidence"] if e["signal"] == "numbers")
    assert {d["kind"] for d in fin["details"]} == {"inference_ms"}
    assert len(fin["details"]) >= 6
