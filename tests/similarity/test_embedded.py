"""The stored embedded-default data of each lab, and what it leaves out."""

from __future__ import annotations

import pytest

from grading.pipeline.rubric import load_rubric
from grading.private.similarity import compare, embedded
from grading.private.similarity.fingerprint import Fingerprint
from grading.private.similarity.settings import from_rubric, from_section
from grading.private.similarity.summary_data import read_summary

L02 = "l02_quantization"
L02_VARIANTS = {
    "native",
    "tflite-fp32",
    "tflite-int8-0.01",
    "tflite-int8-0.08",
    "tflite-int8-0.3",
    "tflite-int8-0.8",
    "tflite-imbint8",
}
#: Every kind counts: the defaults are left out by the data, not by weights.
EVERY_KIND = from_section(
    {
        "number_kinds": {
            kind: {"weight": 1.0, "min_digits": 4}
            for kind in (
                *("accuracy", "precision", "sensitivity", "g_mean", "top5"),
                *("inference_ms", "deflation"),
            )
        }
    }
)


def test_stored_lab_02_data_has_every_variant_of_the_default():
    settings = from_rubric(load_rubric(L02))
    defaults, warnings = embedded.load(L02, settings)
    assert warnings == []
    assert set(defaults.variants) >= L02_VARIANTS
    for variant in L02_VARIANTS:
        kinds = defaults.variants[variant]
        assert {"accuracy", "precision", "g_mean", "inference_ms"} <= set(kinds)
    assert defaults.samples == {120.0}  # the embedded default's test set
    assert len(defaults.images) >= len(L02_VARIANTS) - 1  # native = FP32 may match
    assert defaults.artifacts


def _default_summary(tmp_path, variants: dict) -> Fingerprint:
    """A lab-02 summary of the default's values, laid out as `lab` writes them."""
    results = tmp_path / "results"
    results.mkdir()
    labels = (
        ("Accuracy", "accuracy"),
        ("Mean precision", "precision"),
        ("Mean sensitivity", "sensitivity"),
        ("G-mean", "g_mean"),
    )
    for variant, kinds in variants.items():
        rows = ["| Metric | Value |", "| --- | ---: |"]
        rows += [f"| {label} | {kinds[key][0]:.6f} |" for label, key in labels]
        rows += [
            f"| Mean inference time | {kinds['inference_ms'][-1]:.3f} ms |",
            "| Test samples | 120 |",
        ]
        text = f"# Metrics of {variant}\n\n" + "\n".join(rows) + "\n"
        (results / f"{variant}-metrics.md").write_text(text, encoding="utf-8")
    root = tmp_path / "student"
    rubric = load_rubric(L02)
    embedded.as_submission(results, root, rubric.summary_dir)
    return Fingerprint("x", summary=read_summary(root, rubric))


def test_values_the_default_gives_everyone_in_lab_02_are_not_evidence(tmp_path):
    defaults, _ = embedded.load(L02, from_rubric(load_rubric(L02)))
    fp = _default_summary(tmp_path, defaults.variants)
    assert {v.variant for v in fp.summary.values} >= L02_VARIANTS
    pair = [fp, fp]
    without, _ = compare.number_signals(pair, EVERY_KIND, embedded.Defaults(), 4)
    assert without[(0, 1)].score == 1.0  # the same 6-digit metrics everywhere
    signals, _ = compare.number_signals(pair, EVERY_KIND, defaults, 4)
    assert signals == {}
    assert compare.informative_values(fp, EVERY_KIND, defaults) == {}


@pytest.mark.parametrize("lab", [L02, "l03_pruning_clustering"])
def test_every_lab_has_its_embedded_default(lab):
    _, warnings = embedded.load(lab, from_rubric(load_rubric(lab)))
    assert warnings == []
