"""The summary rules of lab 02: facts, plausibility warnings, the questions."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from grading.pipeline.rubric import load_rubric
from grading.summary import analyze
from grading.summary.facts import parse_size
from grading.summary.feedback import findings_of

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fidelity"))
from l02_corpus import SUMMARY_EN, SUMMARY_EN_PARTIAL, SUMMARY_PL  # noqa: E402

FOLDER = "summaries/l02_quantization"


@pytest.fixture(scope="module")
def rubric():
    return load_rubric("l02_quantization")


def read(tmp_path: Path, rubric, text: str):
    path = tmp_path / FOLDER / "summary.md"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    result = analyze(tmp_path, rubric)
    return result, {f.check: f for f in findings_of(result, rubric)}


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("16.42 MB", 16_420_000),
        ("8 452 kB", 8_452_000),
        ("4,35 MB", 4_350_000),
        ("4,164 kB", 4_164_000),
        ("16 MiB", 16 * 1024**2),
        ("no size", None),
    ],
)
def test_sizes_are_read_in_bytes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", [SUMMARY_EN, SUMMARY_PL])
def test_a_complete_summary_states_every_fact(tmp_path, rubric, text):
    result, found = read(tmp_path, rubric, text)
    for check in ("summary.hardware", "summary.parameters", "summary.sizes"):
        assert found[check].passed is True, found[check].message
        assert found[check].score == 1.0
    assert result.facts["sizes"].sizes == {"fp32": 16_420_000, "int8": 4_350_000}
    assert "summary.deflation" not in found  # no item of lab 02 uses it
    for n in range(1, 5):
        assert found[f"summary.question_{n}"].code == "answer_found", n
    assert {"native", "tflite-fp32", "tflite-int8-0.3", "tflite-imbint8"} <= set(
        result.metrics
    )
    codes = {f.code for f in found.values()} | {w.code for w in result.warnings}
    # Native and FP32 agree by design (same_metrics); quantization is plausible.
    assert not codes & {"int8_size", "int8_speed", "imbalanced_better"}
    assert "identical_metrics" not in codes


def test_missing_facts_cost_their_share_and_say_what(tmp_path, rubric):
    _, found = read(tmp_path, rubric, SUMMARY_EN_PARTIAL)
    assert found["summary.hardware"].score == 0.5
    assert "a RAM size" in found["summary.hardware"].message
    assert found["summary.sizes"].score == pytest.approx(2 / 3)
    assert "the reduction" in found["summary.sizes"].message
    assert found["summary.sizes"].hint


def test_implausible_numbers_warn_the_instructor(tmp_path, rubric):
    text = (
        SUMMARY_EN.replace("INT8 model: 4.35 MB", "INT8 model: 15.9 MB")
        .replace("| 9.8 |\n| tflite-imbint8", "| 70.0 |\n| tflite-imbint8")
        .replace("| tflite-imbint8 | 0.7605", "| tflite-imbint8 | 0.9100")
    )
    result, found = read(tmp_path, rubric, text)
    warned = {w.code: w for w in result.warnings}
    assert {"int8_size", "int8_speed", "imbalanced_better"} <= set(warned)
    assert warned["int8_size"].item == "sizes"
    findings = findings_of(result, rubric)
    plaus = [f for f in findings if f.check == "summary.plausibility"]
    assert all(f.audience == "instructor" and f.passed is None for f in plaus)
    assert found["summary.sizes"].passed is True  # a warning deducts nothing


def test_no_summary_fails_every_fact(tmp_path, rubric):
    result = analyze(tmp_path, rubric)
    found = {f.check: f for f in findings_of(result, rubric)}
    for check in ("summary.hardware", "summary.parameters", "summary.sizes"):
        assert found[check].passed is False and found[check].code == "no_summary"


def test_identical_metrics_of_other_variants_still_warn(tmp_path, rubric):
    text = SUMMARY_EN.replace(
        "| tflite-int8-0.01 | 0.8012 | 0.8100 | 0.8005 | 0.7950 |",
        "| tflite-int8-0.01 | 0.8301 | 0.8344 | 0.8295 | 0.8250 |",
    )
    result, _ = read(tmp_path, rubric, text)
    assert "identical_metrics" in {w.code for w in result.warnings}
