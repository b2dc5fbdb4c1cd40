"""The student workflow picks the lab to grade from what the push changed.

The lab whose summary folder the push changed; for a push of code only, the
lab whose course folder it changed; else the latest lab with a summary
folder; else the workflow's default.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from delivery_helpers import REPO, git

WORKFLOW = (
    REPO / "grading/private/packaging/student_template/.github/workflows/grade.yml"
)
LABS = ("l02_quantization", "l03_pruning_clustering")


def pick_script() -> tuple[str, str]:
    """The run: script of the "Pick the lab" step and the job's default LAB."""
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["grade"]
    step = next(s for s in job["steps"] if s.get("id") == "lab")
    grade = next(s for s in job["steps"] if s.get("id") == "grade")
    assert grade["env"]["LAB"] == "${{ steps.lab.outputs.lab }}"
    return step["run"], job["env"]["LAB"]


@pytest.fixture()
def repo(tmp_path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    for lab in LABS:
        (root / "grading/labs").mkdir(parents=True, exist_ok=True)
        (root / f"grading/labs/{lab}.toml").write_text("schema = 1\n")
    commit(root, "course: Start", "README.md")
    return root


def commit(root: Path, subject: str, *files: str) -> str:
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        with (root / rel).open("a") as handle:
            handle.write(f"{subject}\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", subject)
    return git(root, "rev-parse", "HEAD").strip()


def pick(root: Path, tmp_path: Path, before: str = "") -> str:
    script, default = pick_script()
    output = tmp_path / "output"
    output.write_text("")
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LAB": default,
        "GITHUB_OUTPUT": str(output),
    }
    if before:
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"before": before}))
        env["GITHUB_EVENT_PATH"] = str(event)
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=root,
        env={**env, "PATH": env["PATH"] + os.pathsep + os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    [line] = output.read_text().splitlines()
    return line.removeprefix("lab=")


def test_a_push_of_the_lab_02_summary_grades_lab_02(repo, tmp_path):
    commit(repo, "summaries: Add the lab 02 summary", "summaries/l02_quantization/s.md")
    assert pick(repo, tmp_path) == "l02_quantization"


def test_the_whole_push_counts_not_only_its_last_commit(repo, tmp_path):
    before = git(repo, "rev-parse", "HEAD").strip()
    commit(repo, "summaries: Add the lab 02 summary", "summaries/l02_quantization/s.md")
    commit(repo, "course: Implement FP32Model", "dl_in_iot_course/x.py")
    assert pick(repo, tmp_path, before) == "l02_quantization"
    # the last commit alone changed code outside the labs' folders: the
    # latest (here the only) lab with a summary
    assert pick(repo, tmp_path) == "l02_quantization" != pick_script()[1]


def test_code_only_both_labs_or_an_unknown_folder_grade_the_default(repo, tmp_path):
    default = pick_script()[1]
    commit(repo, "course: Implement FP32Model", "dl_in_iot_course/x.py")
    assert pick(repo, tmp_path) == default
    commit(
        repo,
        "summaries: Update both",
        "summaries/l02_quantization/s.md",
        "summaries/l03_pruning_clustering/s.md",
    )
    assert pick(repo, tmp_path) == default
    commit(repo, "summaries: Add notes", "summaries/notes/n.md", "summaries/README.md")
    assert pick(repo, tmp_path) == default


def test_a_code_only_push_grades_the_lab_whose_course_folder_changed(repo, tmp_path):
    commit(
        repo,
        "summaries: Add the lab 03 summary",
        "summaries/l03_pruning_clustering/s.md",
    )
    before = git(repo, "rev-parse", "HEAD").strip()
    commit(
        repo, "course: Implement FP32Model", "dl_in_iot_course/l02_quantization/m.py"
    )
    commit(repo, "course: Fix a helper", "dl_in_iot_course/misc/u.py")
    assert pick(repo, tmp_path, before) == "l02_quantization"  # the whole push
    # both labs' code: the latest lab with a summary (only lab 03 has one)
    commit(
        repo,
        "course: Update both labs",
        "dl_in_iot_course/l02_quantization/m.py",
        "dl_in_iot_course/l03_pruning_clustering/m.py",
    )
    assert pick(repo, tmp_path) == "l03_pruning_clustering"
    # a summary folder changed wins over the code
    commit(
        repo,
        "summaries: Add the lab 02 summary",
        "summaries/l02_quantization/s.md",
        "dl_in_iot_course/l03_pruning_clustering/m.py",
    )
    assert pick(repo, tmp_path) == "l02_quantization"


def test_a_push_of_other_code_grades_the_latest_lab_with_a_summary(repo, tmp_path):
    commit(repo, "summaries: Add the lab 02 summary", "summaries/l02_quantization/s.md")
    commit(repo, "course: Fix a helper", "dl_in_iot_course/misc/u.py")
    assert pick(repo, tmp_path) == "l02_quantization"
    commit(
        repo,
        "summaries: Add the lab 03 summary",
        "summaries/l03_pruning_clustering/s.md",
    )
    commit(repo, "course: Fix it again", "dl_in_iot_course/misc/u.py")
    assert pick(repo, tmp_path) == "l03_pruning_clustering"
    # a folder of no lab (no rubric) is neither a lab's summary nor its code
    commit(repo, "summaries: Add notes", "summaries/l99_notes/n.md")
    commit(repo, "course: Add a tool", "dl_in_iot_course/l99_notes/t.py")
    assert pick(repo, tmp_path) == "l03_pruning_clustering"


def test_an_unknown_before_commit_falls_back_to_the_last_commit(repo, tmp_path):
    commit(repo, "summaries: Add the lab 02 summary", "summaries/l02_quantization/s.md")
    assert pick(repo, tmp_path, "0" * 40) == "l02_quantization"
