"""The demo: summary from a lab run, the example submission, the whole command."""

from __future__ import annotations

import base64
import csv
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from delivery_helpers import REPO, git

from grading.private import walkthrough as demo

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
VARIANTS = [f"clustered-{k}" for k in (2, 4, 8, 16, 32)] + [
    f"pruned-{p}" for p in ("0.2", "0.4", "0.5")
]


def fake_lab_results(folder: Path) -> Path:
    """Results in the format of 'python -m grading lab' (our own numbers)."""
    folder.mkdir(parents=True)
    rows = [
        "| model | size | ZIP size | deflation | times smaller after ZIP |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for n, variant in enumerate(VARIANTS):
        accuracy = 0.70 + n * 0.01
        (folder / f"{variant}-fp32-metrics.md").write_text(
            f"# Metrics of {variant}-fp32\n\n| Metric | Value |\n| --- | ---: |\n"
            f"| Accuracy | {accuracy:.6f} |\n| Mean precision | 0.700000 |\n"
            "| Mean sensitivity | 0.690000 |\n| G-mean | 0.650000 |\n"
            "| Top-5 accuracy | 0.950000 |\n"
            "| Mean inference time | 0.300 ms (std 0.100 ms) |\n"
            "| Test samples | 120 |\n"
        )
        (folder / f"{variant}-fp32-confusion-matrix.png").write_bytes(PNG)
        zipped = 10000 + n * 9000
        rows.append(
            f"| tiny-cnn-abc-{variant}.tflite | 120000 B (120.00 kB) | "
            f"{zipped} B ({zipped / 1000:.2f} kB) | "
            f"{100 * (1 - zipped / 120000):.1f} % | {120000 / zipped:.2f} |"
        )
    (folder / "model-sizes.md").write_text("\n".join(rows) + "\n")
    (folder / "tiny-cnn-abc-clustered-2.tflite").write_bytes(b"\0" * 100)
    return folder


L02_VARIANTS = (
    ["native", "tflite-fp32"]
    + [f"tflite-int8-{p}" for p in ("0.01", "0.08", "0.3", "0.8")]
    + ["tflite-imbint8"]
)


def fake_lab02_results(folder: Path) -> Path:
    """Lab 02 results in the format of 'python -m grading lab' (our numbers)."""
    folder.mkdir(parents=True)
    for n, variant in enumerate(L02_VARIANTS):
        ms = 40.0 if variant == "native" else 0.5
        (folder / f"{variant}-metrics.md").write_text(
            f"# Metrics of {variant}\n\n| Metric | Value |\n| --- | ---: |\n"
            f"| Accuracy | {0.80 + n * 0.005:.6f} |\n| Mean precision | 0.800000 |\n"
            "| Mean sensitivity | 0.790000 |\n| G-mean | 0.780000 |\n"
            "| Top-5 accuracy | 1.000000 |\n"
            f"| Mean inference time | {ms:.3f} ms (std 0.100 ms) |\n"
            "| Test samples | 120 |\n"
        )
        (folder / f"{variant}-confusion-matrix.png").write_bytes(PNG)
    rows = [
        "| model | size | ZIP size | deflation | times smaller after ZIP |",
        "| --- | ---: | ---: | ---: | ---: |",
        "| tiny-cnn-abc.fp32.tflite | 120904 B (120.90 kB) | 109701 B (109.70 kB) "
        "| 9.3 % | 1.10 |",
    ]
    for name in ["int8-0.01", "int8-0.08", "int8-0.3", "int8-0.8", "imbint8"]:
        rows.append(
            f"| tiny-cnn-abc.{name}.tflite | 35632 B (35.63 kB) | 31464 B "
            "(31.46 kB) | 11.7 % | 1.13 |"
        )
    (folder / "model-sizes.md").write_text("\n".join(rows) + "\n")
    (folder / "parameters.txt").write_text("29,330\n")
    return folder


def test_lab02_summary_states_what_the_rubric_reads(tmp_path):
    from grading.pipeline.rubric import load_rubric
    from grading.private import walkthrough_l02
    from grading.summary import analyze
    from grading.summary.feedback import findings_of

    results = fake_lab02_results(tmp_path / "results")
    folder = tmp_path / "sub" / "summaries" / "l02_quantization"
    path = walkthrough_l02.write_summary(results, folder)
    text = path.read_text()
    assert "Total params: 29,330" in text and "3.39 times smaller" in text
    rubric = load_rubric("l02_quantization")
    result = analyze(tmp_path / "sub", rubric)
    found = {f.check: f for f in findings_of(result, rubric)}
    for check in ("summary.hardware", "summary.parameters", "summary.sizes"):
        assert found[check].passed is True, found[check].message
    for n in range(1, 5):
        assert found[f"summary.question_{n}"].code == "answer_found", n
    assert set(result.metrics) == set(L02_VARIANTS)
    assert len(result.confusion_matrices) == len(L02_VARIANTS)
    with pytest.raises(demo.DemoError, match="no lab 02 metrics"):
        walkthrough_l02.write_summary(tmp_path / "empty", tmp_path / "other")


def test_the_lab02_parameter_count_is_kept_from_the_log(tmp_path):
    from grading.private import walkthrough_l02

    log = tmp_path / "run.log"
    log.write_text("Model: x\nTotal params: 4,164,965 (15.89 MB)\nINFO: done\n")
    assert walkthrough_l02.save_parameter_count(log, tmp_path) == "4,164,965"
    assert (tmp_path / "parameters.txt").read_text().strip() == "4,164,965"


def test_summary_is_written_from_the_lab_run(tmp_path):
    results = fake_lab_results(tmp_path / "results")
    path = demo.write_summary(results, tmp_path / "summary")
    text = path.read_text()
    for variant in VARIANTS:
        assert f"| {variant}-fp32 | " in text
        assert (
            tmp_path / "summary" / "img" / f"{variant}-fp32-confusion-matrix.png"
        ).is_file()
        assert f"](img/{variant}-fp32-confusion-matrix.png)" in text
    assert "| clustered-4-fp32 | 0.710000 | 0.700000 |" in text
    assert (
        "| pruned-0.5-fp32 | 120000 B (120.00 kB) | 73000 B (73.00 kB) | 39.2 % |"
        in text
    )
    for number in range(1, 5):
        assert f"## Question {number}:" in text
    assert "smallest compressed model is clustered-2-fp32 (10000 B" in text
    assert "most accurate is pruned-0.5-fp32 (accuracy 0.770)" in text
    assert "No method dominates" in text
    assert "clustered-2-fp32: 12.0x" in text
    assert not list((tmp_path / "summary").rglob("*.tflite"))
    with pytest.raises(demo.DemoError, match="no metrics files"):
        demo.write_summary(tmp_path / "summary", tmp_path / "other")


def test_example_submission_follows_the_course_convention(tmp_path, released):
    results = fake_lab_results(tmp_path / "results")
    dest = tmp_path / "subs" / "demo-student"
    subjects = demo.make_submission(released, results, dest)
    assert len(subjects) == 3
    rubric = tomllib.loads(
        (REPO / "grading" / "labs" / "l03_pruning_clustering.toml").read_text()
    )
    convention = re.compile(rubric["history"]["conventions"]["ours"]["convention"])
    log = git(dest, "log", "--format=%an|%s", "HEAD").splitlines()
    assert log[-1].startswith("Course Staff|")
    for line in log[:-1]:
        author, subject = line.split("|", 1)
        assert author == demo.STUDENT_NAME and convention.match(subject)
        assert len(subject) <= 72 and not subject.endswith(".")
    module = "dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py"
    reference = (
        REPO
        / "grading/private/reference"
        / "l03_pruning_clustering"
        / "pruning_clustering_experiments.py"
    )
    assert (dest / module).read_text() == reference.read_text()
    assert git(dest, "status", "--porcelain") == ""
    assert git(released, "rev-list", "--count", "HEAD") == "1"  # template untouched


@pytest.mark.slow
def test_demo_command_grades_the_example_and_prints_where_reports_are(tmp_path):
    results = fake_lab_results(tmp_path / "results")
    results02 = fake_lab02_results(tmp_path / "results02")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "grading",
            "demo",
            "--out",
            str(tmp_path / "demo"),
            "--lab-results",
            str(results),
            "--lab02-results",
            str(results02),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    for stage in range(1, 6):
        assert f"demo: [{stage}/5]" in proc.stderr
    # The size, ZIP size and deflation table of the lab run is shown.
    assert "Model sizes, ZIP sizes and deflation" in proc.stderr
    for line in (results / "model-sizes.md").read_text().splitlines():
        assert line in proc.stderr
    printed = dict(re.findall(r"^(.+?):\s+(/\S+)$", proc.stdout, re.M))
    report = Path(printed["Student report (HTML)"])
    gradebook = Path(printed["Gradebook"])
    assert report.is_file() and gradebook.is_file()
    assert Path(printed["Gradebook page (HTML)"]).is_file()
    row = next(csv.DictReader(gradebook.open()))
    assert row["student"] == "demo-student" and row["status"] == "graded"
    # The reference solution earns the points of the code items.
    for item in ("tfmot_optimized_model", "clustered_model", "pruned_model"):
        assert float(row[item]) > 0, (item, row)
    # ... and the lab 02 grading of the same submission gets its code points.
    row = next(csv.DictReader(Path(printed["Lab 02 gradebook"]).open()))
    assert row["status"] == "graded" and Path(printed["Lab 02 report (HTML)"]).is_file()
    for item, points in (("fp32_model", 4), ("int8_model", 4), ("native_model", 1)):
        assert float(row[item]) == points, (item, row)
