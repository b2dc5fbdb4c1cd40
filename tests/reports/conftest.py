"""Fixtures of the report tests: hand-written results and a generated class.

``fixtures/*.json`` are results.json files written by hand per the schema in
docs/ARCHITECTURE.md. ``class_dir`` generates a class of 200 graded
submissions (plus error, timeout, corrupt and empty folders) from the lab's
rubric with a fixed seed, renders every report and the gradebook once per
session.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest
from PIL import Image

from grading.pipeline.rubric import load_rubric
from grading.report import render_submission, write_gradebook

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_NAMES = (
    "full_marks",
    "zero",
    "manual_open",
    "error",
    "overrides_applied",
    "instructor_only",
)
LAB = "l03_pruning_clustering"

# Student ids with names in several scripts, spaces and a spreadsheet formula.
SPECIAL_STUDENTS = (
    "Żaneta Łukasiewicz",
    "李雷",
    "Ольга-Петренко",
    "o'brien & co",
    "=SUM(1+1)*cmd",
)


def load_fixture(name: str) -> dict:
    """Return a fresh copy of ``fixtures/<name>.json``."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def results():
    """Loader of the hand-written fixtures: ``results("zero")``."""
    return load_fixture


def write_png(path: Path, size: int = 64) -> Path:
    """Write a small confusion-matrix-like PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (size, size), "white")
    for i in range(size):
        image.putpixel((i, i), (30, 60, 200))
    image.save(path)
    return path


@pytest.fixture
def submission(tmp_path) -> Path:
    """A submission folder with the confusion matrix the manual fixture names."""
    root = tmp_path / "submission"
    write_png(
        root / "summaries" / LAB / "img" / "clustered-2-fp32-confusion-matrix.png"
    )
    return root


_PROBLEMS = {
    "tfmot_optimized_model": [
        (
            "hidden.tfmot_optimized_model.outputs_match",
            "wrong_output",
            "Outputs differ from the grader's LiteRT run on 3 of 5 images.",
            "Read the output tensor with get_output_details()[0]['index'].",
        ),
    ],
    "clustered_model": [
        (
            "hidden.clustered_model.stripped",
            "unstripped",
            "The saved model still has clustering ops (GATHER, ARG_MIN).",
            "Call tfmot.clustering.keras.strip_clustering before converting.",
        ),
        (
            "hidden.clustered_model.linear_init",
            "init",
            "Centroids were not initialised linearly.",
            "Pass cluster_centroids_init=CentroidInitialization.LINEAR.",
        ),
    ],
    "pruned_model": [
        (
            "hidden.pruned_model.update_step",
            "no_update_step",
            "fit() was called without the UpdatePruningStep callback.",
            "Add tfmot.sparsity.keras.UpdatePruningStep() to the callbacks.",
        ),
    ],
    "git_history": [
        (
            "history.message_convention",
            "convention",
            "3 commit subjects do not follow '<area>: <Summary>'.",
            "Reword them with git rebase -i.",
        ),
        (
            "history.junk",
            "junk",
            "build/ is committed.",
            "Add build/ to .gitignore and run git rm -r --cached build.",
        ),
    ],
}


def make_results(student: str, rng: random.Random, rubric) -> dict:
    """Generate a plausible results.json for one student of the class."""
    items = []
    # A submission of our own template: no item of another version (requires).
    for entry in (e for e in rubric.items if not e.requires):
        maximum = entry.points
        problems = _PROBLEMS.get(entry.id, [])
        findings = []
        if entry.kind == "manual" and not problems:
            decided = rng.random() < 0.5 and maximum > 0
            points = (
                rng.choice([0.0, maximum / 2, maximum, maximum]) if decided else 0.0
            )
            status = (
                ("pass" if points >= maximum else "partial" if points else "fail")
                if decided
                else "manual"
            )
            findings.append(
                {
                    "check": f"summary.{entry.id}",
                    "item": entry.id,
                    "passed": None,
                    "message": "Answer passage found.",
                    "hint": "",
                    "evidence": f"{student} writes about {entry.title.lower()}.",
                    "score": None,
                    "code": "",
                    "audience": "student",
                    "data": {},
                }
            )
            if rng.random() < 0.08:
                findings.append(
                    {
                        "check": "summary.plausibility.deflation",
                        "item": entry.id,
                        "passed": False,
                        "message": "Deflation of clustered-2 is 48 %, "
                        "implausibly low for a stripped model.",
                        "hint": "",
                        "evidence": "",
                        "score": None,
                        "code": "implausible_deflation",
                        "audience": "instructor",
                        "data": {},
                    }
                )
            items.append(
                {
                    "id": entry.id,
                    "title": entry.title,
                    "points": points,
                    "max_points": maximum,
                    "kind": entry.kind,
                    "status": status,
                    "source": "override" if decided else "manual",
                    "suggested_points": maximum,
                    "override": {"points": points, "comment": "ok", "reviewer": "mk"}
                    if decided
                    else None,
                    "readme": entry.readme,
                    "findings": findings,
                }
            )
            continue
        fraction = rng.choice([1.0, 1.0, 1.0, 0.5, 0.0]) if maximum else 1.0
        for check, code, message, hint in problems:
            ok = fraction == 1.0 or rng.random() < 0.3
            findings.append(
                {
                    "check": check,
                    "item": entry.id,
                    "passed": ok,
                    "message": "Check passed." if ok else message,
                    "hint": "" if ok else hint,
                    "evidence": "" if ok else "line 1\nline 2",
                    "score": None,
                    "code": "" if ok else code,
                    "audience": "student",
                    "data": {},
                }
            )
        points = round(maximum * fraction, 2)
        items.append(
            {
                "id": entry.id,
                "title": entry.title,
                "points": points,
                "max_points": maximum,
                "kind": "auto",
                "status": "pass"
                if fraction == 1
                else "partial"
                if fraction
                else "fail",
                "source": "check",
                "suggested_points": points,
                "override": None,
                "readme": entry.readme,
                "findings": findings,
            }
        )
    return {
        "schema": 1,
        "lab": LAB,
        "submission": f"/srv/submissions/{student}",
        "student": student,
        "status": "graded",
        "graded_at": "2026-11-20T10:00:00Z",
        "grader_version": "0.1.0",
        "score": round(sum(i["points"] for i in items), 2),
        "max_score": rubric.max_score,
        "items": items,
        "unassigned": [],
        "checks": {},
        "timings": {"hidden_tests": rng.uniform(20, 40), "summary": 0.03},
        "environment": {},
    }


@pytest.fixture(scope="session")
def class_dir(tmp_path_factory) -> Path:
    """A grades folder of 200 graded submissions plus failure cases.

    Reports are rendered for the special names and every tenth student (the
    gradebook links only to reports that exist), then the gradebook once.
    """
    rubric = load_rubric(LAB)
    rng = random.Random(20261120)
    root = tmp_path_factory.mktemp("class")
    students = [f"s{n:03d}" for n in range(200 - len(SPECIAL_STUDENTS))]
    students += list(SPECIAL_STUDENTS)
    for student in students:
        results = make_results(student, rng, rubric)
        folder = root / student
        folder.mkdir()
        (folder / "results.json").write_text(
            json.dumps(results, ensure_ascii=False), encoding="utf-8"
        )
        if student in SPECIAL_STUDENTS or student.endswith("0"):
            render_submission(results, folder)  # 25 reports are enough to link
    (root / "x-error").mkdir()
    (root / "x-error" / "status.json").write_text(
        json.dumps(
            {
                "student": "x-error",
                "status": "error",
                "message": "git clone failed: repository not found",
                "seconds": 2.0,
            }
        )
    )
    (root / "x-timeout").mkdir()
    (root / "x-timeout" / "status.json").write_text(
        json.dumps(
            {
                "student": "x-timeout",
                "status": "timeout",
                "message": "killed after the limit",
                "seconds": 900.0,
            }
        )
    )
    (root / "x-corrupt").mkdir()
    (root / "x-corrupt" / "results.json").write_text('{"schema": 1, "items": [')
    (root / "x-empty").mkdir()
    (root / "slurm" / "logs").mkdir(parents=True)  # the batch's, not a student
    (root / ".partial").mkdir()
    write_gradebook(root)
    return root


def copy_results(data: dict) -> dict:
    """Deep copy of a results dict (tests mutate their copy)."""
    return copy.deepcopy(data)
