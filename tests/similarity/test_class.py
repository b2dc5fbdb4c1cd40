"""The synthetic class: every copy found by its own signal, no honest pair flagged.

The expected pairs are in ``fixtures/expected.toml``, written before the
detector ran on the class (see conftest.py for who copied what).
"""

from __future__ import annotations

import itertools

import pytest

from grading.pipeline.rubric import load_rubric
from grading.private.similarity.settings import SIGNALS, from_rubric

from .conftest import EXPECTED, LAB

pytestmark = pytest.mark.slow  # builds fifteen repositories with images once

SETTINGS = from_rubric(load_rubric(LAB))
COPIES = {(e["a"], e["b"]): e for e in EXPECTED["flagged"]}


def _pairs(result) -> dict[tuple[str, str], dict]:
    return {tuple(sorted((p["a"], p["b"]))): p for p in result["pairs"]}


def test_exactly_the_copy_pairs_are_flagged(class_result):
    flagged = {pair for pair, p in _pairs(class_result).items() if p["flagged"]}
    assert flagged == set(COPIES), {
        pair: p["signals"]
        for pair, p in _pairs(class_result).items()
        if p["flagged"] != (pair in COPIES)
    }
    assert class_result["flagged"] == len(COPIES)


@pytest.mark.parametrize("signal", SIGNALS)
def test_each_copy_is_the_only_pair_its_signal_flags(class_result, signal):
    alone = {
        pair
        for pair, p in _pairs(class_result).items()
        if SETTINGS.weight(signal) * p["signals"][signal] >= SETTINGS.threshold
    }
    expected = {pair for pair, e in COPIES.items() if e["signal"] == signal}
    assert alone == expected


def test_no_honest_pair_is_flagged_and_the_default_explains_gus_and_hal(
    class_result, synthetic_class
):
    pairs = _pairs(class_result)
    honest = [
        pair
        for pair in itertools.combinations(sorted(synthetic_class.students), 2)
        if pair not in COPIES
    ]
    assert len(honest) == 105 - len(COPIES)
    assert not [pair for pair in honest if pairs.get(pair, {}).get("flagged")]
    # gus and hal report the embedded default's numbers and images: nothing left
    assert ("gus", "hal") not in pairs


def test_the_leaked_reference_is_reported_apart(class_result):
    flagged = [r["student"] for r in class_result["reference"] if r["flagged"]]
    assert flagged == [r["student"] for r in EXPECTED["reference"]]
    oli = class_result["reference"][0]
    spans = oli["evidence"][0]["details"]
    assert spans and spans[0]["b"]["file"].startswith("reference/")
    # the reference is not a submission: no pair names it
    assert all(
        "oli" not in (p["a"], p["b"]) or not p["flagged"] for p in class_result["pairs"]
    )


def test_pairs_are_listed_highest_first_with_evidence(class_result):
    scores = [p["score"] for p in class_result["pairs"]]
    assert scores == sorted(scores, reverse=True)
    for pair in class_result["pairs"]:
        assert pair["a"] < pair["b"]
        assert set(pair["signals"]) == set(SIGNALS)
        assert pair["evidence"] and all(e["summary"] for e in pair["evidence"])
    assert class_result["submissions"] == 15
    assert class_result["pairs_compared"] == 105
    assert class_result["warnings"] == []


def test_code_copies_show_matched_passages_side_by_side(class_result):
    pair = _pairs(class_result)[("bo", "ivo")]
    code = next(e for e in pair["evidence"] if e["signal"] == "code")
    span = code["details"][0]
    assert span["a"]["file"] == span["b"]["file"]
    assert "save_as_tflite" in span["a"]["text"] + "\n".join(
        d["a"]["text"] for d in code["details"]
    )
    assert "store_tflite" in "\n".join(d["b"]["text"] for d in code["details"])


def test_reworded_summary_is_found_by_its_numbers_not_its_words(class_result):
    pair = _pairs(class_result)[("di", "kim")]
    assert pair["signals"]["numbers"] == 1.0 and pair["signals"]["answers"] == 0.0
    kinds = {
        d["kind"]
        for e in pair["evidence"]
        if e["signal"] == "numbers"
        for d in e["details"]
    }
    assert {"precision", "g_mean", "size"} <= kinds


def test_copied_images_are_near_identical_but_not_the_same_files(class_result):
    pair = _pairs(class_result)[("ed", "lea")]
    images = next(e for e in pair["evidence"] if e["signal"] == "images")["details"]
    assert len(images) == 8
    assert not any(d["identical_file"] for d in images)
    assert max(d["distance"] for d in images) <= SETTINGS.image_max_distance
