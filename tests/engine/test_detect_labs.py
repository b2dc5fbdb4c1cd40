"""Lab detection with the real rubrics of lab 02 and lab 03."""

from __future__ import annotations

import shutil
from pathlib import Path

from grading.pipeline.detect import detect_lab

ROOT = Path(__file__).resolve().parents[2]
MODULES = {
    "l02_quantization": "dl_in_iot_course/l02_quantization/quantization_experiments.py",
    "l03_pruning_clustering": (
        "dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py"
    ),
}


def fork(tmp_path: Path, *labs: str) -> Path:
    """A copy of both stubs with the work (module edit, summary) of ``labs``."""
    for rel in MODULES.values():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / rel, tmp_path / rel)
    for lab in labs:
        with (tmp_path / MODULES[lab]).open("a", encoding="utf-8") as handle:
            handle.write("\n# the student's work\n")
        summary = tmp_path / "summaries" / lab / "summary.md"
        summary.parent.mkdir(parents=True, exist_ok=True)
        summary.write_text("# Summary\n", encoding="utf-8")
    return tmp_path


def test_the_work_of_lab_02_alone_is_lab_02(tmp_path):
    assert detect_lab(fork(tmp_path, "l02_quantization")) == ("l02_quantization", [])


def test_the_work_of_lab_03_alone_is_lab_03(tmp_path):
    lab, findings = detect_lab(fork(tmp_path, "l03_pruning_clustering"))
    assert (lab, findings) == ("l03_pruning_clustering", [])


def test_a_fork_with_both_labs_is_the_later_one_and_says_so(tmp_path):
    lab, findings = detect_lab(
        fork(tmp_path, "l02_quantization", "l03_pruning_clustering")
    )
    assert lab == "l03_pruning_clustering"
    [finding] = findings
    assert finding.code == "lab_ambiguous"
    assert set(finding.data["candidates"]) == set(MODULES)
    assert "--lab" in finding.hint


def test_lab_03_work_that_reuses_fp32model_stays_lab_03(tmp_path):
    root = fork(tmp_path, "l03_pruning_clustering")
    with (root / MODULES["l02_quantization"]).open("a", encoding="utf-8") as handle:
        handle.write("\n# FP32Model, reused by lab 03\n")
    assert detect_lab(root)[0] == "l03_pruning_clustering"
