"""Build a lab-03 submission and grade its hidden tests (tests/hidden's helpers).

A module of its own, not conftest.py: test modules import these names, and
"from conftest import" picks whichever conftest pytest loaded last.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from grading.checks import CheckContext
from grading.pipeline.options import GradeOptions
from grading.pipeline.rubric import load_rubric
from grading.pipeline.scoring import score

ROOT = Path(__file__).resolve().parents[2]
LAB = "l03_pruning_clustering"
MODULE = "dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py"
CODE_ITEMS = ("tfmot_optimized_model", "clustered_model", "pruned_model")
# The data set and tiny model the hidden tests generate, shared between the
# gradings of this test run (and later runs: the folder is keyed by content).
CACHE = Path(tempfile.gettempdir()) / f"dl-in-iot-hidden-masters-{os.geteuid()}"


def make_submission(dest: Path, module_source: str | None) -> Path:
    """Write a submission: the course package with ``module_source`` as lab 03."""
    shutil.copytree(
        ROOT / "dl_in_iot_course",
        dest / "dl_in_iot_course",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    if module_source is not None:
        (dest / MODULE).write_text(module_source, encoding="utf-8")
    return dest


def grade_hidden(tmp: Path, module_source: str | None, **options) -> dict:
    """Run the hidden_tests check on a submission and score the rubric.

    Returns
    -------
    dict
        ``{"scored": rubric.score output, "items": {id: item}, "findings":
        [Finding], "result": CheckResult}``.
    """
    from grading.checks import hidden_tests

    submission = make_submission(tmp / "submission", module_source)
    work = tmp / "work"
    work.mkdir()
    rubric = load_rubric(LAB)
    options.setdefault("hidden_tests_cache", str(CACHE))
    ctx = CheckContext(submission, work, LAB, rubric, GradeOptions(**options))
    result = hidden_tests.run(ctx)
    scored = score(rubric, result.findings)
    return {
        "scored": scored,
        "items": {i["id"]: i for i in scored["items"]},
        "findings": result.findings,
        "result": result,
    }
