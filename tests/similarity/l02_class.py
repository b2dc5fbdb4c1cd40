"""A small class of lab-02 submissions, built in the tests.

Lab 02 trains nothing: every student converts the course's model and tests
it on the same seeded test set, so correct code run on the same test
fraction gives everyone the same metrics and the same confusion matrices
(:func:`outputs` returns them per test fraction). What is a student's own
is the code (``fixtures/l02_code/<name>.txt``), the answers and the
inference times measured on the student's machine (:func:`times`).

Who is who (``fixtures/l02_expected.toml``, decided before the detector
ran): amy, ben, cat, dan honest, each with code of their own; amy ran the
full test set, ben and cat half of it, dan a quarter; eve (ben's code,
renamed, reordered and commented; the full test set, her own times and
answers); fin (code of his own, amy's results table with her times in
another layout under reworded headings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import class_builder as cb
from . import code_builder

LAB = "l02_quantization"
FIXTURES = Path(__file__).parent / "fixtures"
STUB = (
    code_builder.REPO / "dl_in_iot_course/l02_quantization/quantization_experiments.py"
)
MODULE = "dl_in_iot_course/l02_quantization/quantization_experiments.py"
SUMMARY_DIR = "summaries/l02_quantization"
VARIANTS = [
    "native",
    "tflite-fp32",
    "tflite-int8-0.01",
    "tflite-int8-0.08",
    "tflite-int8-0.3",
    "tflite-int8-0.8",
    "tflite-imbint8",
]
KEYS = ("accuracy", "precision", "sensitivity", "g_mean")
#: Accuracy of each variant on the full Pet test set (native = FP32 by design).
BASE = dict(
    zip(VARIANTS, (0.836, 0.836, 0.801, 0.823, 0.829, 0.830, 0.760), strict=True)
)
PET_TEST = 3669


@dataclass
class Outputs:
    """What correct code gives for one test fraction: the same for everyone."""

    metrics: dict[str, dict[str, float]]
    counts: dict[str, np.ndarray]
    samples: int


def outputs(fraction: float) -> Outputs:
    """Return the metrics and confusion counts of correct code on a test fraction."""
    samples = round(PET_TEST * fraction)
    rng = np.random.default_rng(round(fraction * 1000))
    metrics, counts = {}, {}
    for variant in VARIANTS:
        if variant == "tflite-fp32":  # computes what the native model does
            metrics[variant], counts[variant] = metrics["native"], counts["native"]
            continue
        right = round(rng.normal(BASE[variant], 0.004) * samples)
        accuracy = right / samples
        metrics[variant] = {
            "accuracy": round(accuracy, 6),
            "precision": round(accuracy + rng.normal(0.01, 0.004), 6),
            "sensitivity": round(accuracy + rng.normal(0.0, 0.003), 6),
            "g_mean": round(accuracy - abs(rng.normal(0.02, 0.005)), 6),
        }
        matrix = rng.multinomial(
            max(1, samples // 37), np.full(37, (1 - accuracy) / 36), size=37
        )
        np.fill_diagonal(matrix, round(accuracy * samples / 37))
        counts[variant] = matrix
    return Outputs(metrics, counts, samples)


def times(seed: int) -> dict[str, float]:
    """Return the inference times (ms) one machine measures for every variant."""
    rng = np.random.default_rng(seed)
    native = float(rng.uniform(45, 90))
    out = {"native": round(native, 3), "tflite-fp32": round(native / 2.7, 3)}
    for variant in VARIANTS[2:]:
        out[variant] = round(float(rng.uniform(8.0, 12.0)), 3)
    return out


@dataclass
class Student:
    """One lab-02 submission."""

    name: str
    code: str
    results: Outputs
    times: dict[str, float]
    answers: list[str]
    style: str = "table"
    images: dict[str, bytes] = field(default_factory=dict)


HEADINGS = {
    "plain": [
        "Question 1: TFLite FP32 against the native model",
        "Question 2: the best INT8 model against FP32",
        "Question 3: INT8 quality and the calibration set size",
        "Question 4: the one-class calibration",
    ],
    "reworded": [
        "How FP32 TFLite compares with Keras",
        "Best INT8 variant versus the FP32 one",
        "Does a bigger calibration set help INT8",
        "Calibrating on a single class",
    ],
}


def summary_markdown(student: Student) -> str:
    """Return a lab-02 summary: platform, results, images and answers."""
    lines = [f"# Lab 02 summary ({student.name})", ""]
    lines += [
        "- CPU: model name: Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz",
        "- RAM: 8 GB",
        "",
        f"Tested on {student.results.samples} images of the test set.",
        "",
    ]
    metrics = student.results.metrics
    if student.style == "bullets":
        for variant in VARIANTS:
            lines += [f"## {variant}", ""]
            lines += [
                f"- {key.replace('_', '-')}: {metrics[variant][key]}" for key in KEYS
            ]
            lines += [f"- inference time: {student.times[variant]} ms", ""]
    else:
        lines += [
            "## Results",
            "",
            "| variant | accuracy | mean precision | mean sensitivity | G-mean "
            "| time [ms] |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for variant in VARIANTS:
            cells = [str(metrics[variant][key]) for key in KEYS]
            lines.append(
                f"| {variant} | {' | '.join(cells)} | {student.times[variant]} |"
            )
        lines.append("")
    for variant in student.images:
        lines += [f"![{variant}](img/{variant}-confusion-matrix.png)", ""]
    headings = HEADINGS["reworded" if student.style == "bullets" else "plain"]
    lines += ["## Answers", ""]
    for heading, text in zip(headings, student.answers, strict=True):
        lines += [f"### {heading}", "", text, ""]
    return "\n".join(lines) + "\n"


def student_module(name: str) -> str:
    """Return the lab-02 module of the fixture student ``name``."""
    text = (FIXTURES / "l02_code" / f"{name}.txt").read_text(encoding="utf-8")
    return code_builder.fill_stub(
        code_builder.sections(text), STUB.read_text(encoding="utf-8")
    )


def write_submission(root: Path, student: Student) -> Path:
    """Write a student's lab-02 repository (one commit) and return its folder."""
    lab = root / "dl_in_iot_course" / "l02_quantization"
    lab.mkdir(parents=True, exist_ok=True)
    (lab / "__init__.py").write_bytes((STUB.parent / "__init__.py").read_bytes())
    (lab / STUB.name).write_text(student.code, encoding="utf-8")
    summary = root / SUMMARY_DIR
    (summary / "img").mkdir(parents=True, exist_ok=True)
    for variant, data in student.images.items():
        (summary / "img" / f"{variant}-confusion-matrix.png").write_bytes(data)
    (summary / "summary.md").write_text(summary_markdown(student), encoding="utf-8")
    cb.git(root, "init", "--quiet", "--initial-branch=main")
    cb.git(root, "add", "-A")
    cb.git(root, "commit", "--quiet", "-m", "l02_quantization: Add the lab")
    return root


def images_of(results: Outputs) -> dict[str, bytes]:
    """Return the confusion matrices correct code draws: the same for everyone."""
    return {
        v: cb.draw_matrix(results.counts[v], f"{v} ({results.samples} images)")
        for v in VARIANTS
    }
