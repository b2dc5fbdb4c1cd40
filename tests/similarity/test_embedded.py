"""The stored embedded-default data of each lab, and what it leaves out.

Honest offline runs give the default's values, or values a little off
them (TensorFlow on several threads is not bit-for-bit repeatable): the
test-set size and the stored runs' spread tell those from copies.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest

from grading.pipeline.rubric import load_rubric
from grading.private.similarity import compare, embedded
from grading.private.similarity.fingerprint import Fingerprint
from grading.private.similarity.settings import from_rubric, from_section
from grading.private.similarity.summary_data import (
    Value,
    read_summary,
    significant_digits,
)
from grading.util.io import write_json

from . import class_builder as cb

L02 = "l02_quantization"
L03 = "l03_pruning_clustering"
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


@pytest.mark.parametrize("lab", [L02, L03])
def test_every_lab_has_its_embedded_default(lab):
    defaults, warnings = embedded.load(lab, from_rubric(load_rubric(lab)))
    assert warnings == []
    # by variant and with the test-set size: what Defaults.explains reads
    assert len(defaults.variants) >= 7 and defaults.samples == {120.0}


def _offline(tmp_path: Path, name: str, run: cb.Run) -> Fingerprint:
    """A lab-03 student who pasted the results folder of ``run`` as the summary."""
    rubric = load_rubric(L03)
    results = cb.write_default_results(tmp_path / f"{name}-results", run)
    embedded.as_submission(results, tmp_path / name, rubric.summary_dir)
    return Fingerprint(name, summary=read_summary(tmp_path / name, rubric))


def _wobbled(samples: int) -> cb.Run:
    """The default run as another machine's TensorFlow gives it.

    clustered-4 gets one more test image right (its precision and G-mean
    move in the fourth digit) and every ZIP file is a few bytes longer: off
    the stored run, the same for two honest students.
    """
    run = copy.deepcopy(cb.default_run())
    metrics = run.metrics["clustered-4-fp32"]
    metrics["accuracy"] = round(metrics["accuracy"] + 1 / 120, 6)
    metrics["sensitivity"] = metrics["accuracy"]
    metrics["precision"] = round(metrics["precision"] + 0.0021, 6)
    metrics["g_mean"] = round(metrics["g_mean"] + 0.0019, 6)
    run.zip = {v: (percent, size + 3) for v, (percent, size) in run.zip.items()}
    run.samples = samples
    return run


def test_honest_offline_runs_that_wobble_off_the_default_are_not_evidence(tmp_path):
    rubric = load_rubric(L03)
    settings = from_rubric(rubric)
    stored = cb.write_default_results(tmp_path / "stored", cb.default_run())
    data = tmp_path / "data"
    write_json(
        embedded.default_file(L03, data),
        embedded.build_from([stored], rubric, settings),
    )
    defaults, warnings = embedded.load(L03, settings, data)
    assert warnings == [] and defaults.samples == {120.0}
    offline = [_offline(tmp_path, n, _wobbled(120)) for n in ("gus", "hal")]
    assert offline[0].summary.samples and set(offline[0].summary.samples) == {120.0}
    signals, _ = compare.number_signals(offline, settings, defaults, 4)
    assert signals == {}
    # without the margin, the wobble is what they share: enough to flag
    strict = dataclasses.replace(settings, default_margin=0.0)
    signals, _ = compare.number_signals(offline, strict, defaults, 4)
    assert settings.weight("numbers") * signals[(0, 1)].score >= settings.threshold
    kinds = {d["kind"] for d in signals[(0, 1)].details}
    assert kinds == {"accuracy", "sensitivity", "precision", "g_mean"}
    # the same values from a run on another test set are evidence
    online = [_offline(tmp_path, n, _wobbled(3669)) for n in ("ivo", "jan")]
    signals, _ = compare.number_signals(online, settings, defaults, 4)
    assert settings.weight("numbers") * signals[(0, 1)].score >= settings.threshold


def test_a_value_within_the_stored_runs_spread_is_explained():
    defaults = embedded.Defaults(
        variants={"clustered-4-fp32": {"accuracy": [0.833333, 0.85]}},
        samples={120.0},
    )

    def explained(value: float, samples: list[float], margin: float = 0.0) -> bool:
        found = Value("clustered-4-fp32", "accuracy", value, significant_digits(value))
        return defaults.explains(found, samples, margin)

    assert explained(0.841667, [])  # between the runs, test set not stated
    assert not explained(0.858333, [])  # outside, and nothing says offline
    assert explained(0.858333, [120.0], margin=0.03)  # an offline run's wobble
    assert not explained(0.841667, [3669.0])  # another test set: exact only
    assert not explained(0.95, [120.0], margin=0.03)  # too far off the default
    measured = Value("clustered-4-fp32", "inference_ms", 0.2, 1)
    assert not defaults.explains(measured, [120.0], 1.0)  # a machine's time
