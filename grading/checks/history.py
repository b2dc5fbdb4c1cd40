"""Check ``history``: judge the git history of a submission.

A thin entry over :mod:`grading.history`. The item and the points come from
the ``[history]`` section of the lab's rubric (``item``, the scoring rule,
the conventions); ``ctx.options.base`` (from ``--base``) names the
template's last commit when the instructor knows it.
"""

from __future__ import annotations

import time

from grading.checks import CheckContext, CheckResult
from grading.history import HistoryConfigError, analyze, load_config
from grading.history.feedback import to_findings
from grading.pipeline.findings import Finding
from grading.util.text import cap

NAME = "history"


def run(ctx: CheckContext) -> CheckResult:
    """Analyse ``ctx.submission``'s history and return findings and the report."""
    started = time.perf_counter()
    item = str(ctx.rubric.section("history").get("item", "")) or (
        ctx.rubric.item_fed_by("history.rule")
    )
    try:
        cfg, item, points = load_config(ctx.rubric)
        report = analyze(ctx.submission, cfg, points, ctx.options.base)
    except HistoryConfigError as exc:
        return _failed(item, str(exc), "grader_error", started)
    except Exception as exc:  # noqa: BLE001 - a broken repository must not stop grading
        return _failed(item, cap(repr(exc), 500), "manual_review", started)
    details = report.to_dict()
    return CheckResult(
        to_findings(report, item), details, time.perf_counter() - started
    )


def _failed(item: str, error: str, code: str, started: float) -> CheckResult:
    rubric_problem = code == "grader_error"
    finding = Finding(
        check="history.rule",
        item=item,
        passed=False if rubric_problem else None,
        message=error
        if rubric_problem
        else f"The history check failed on this repository: {error}",
        hint="Fix the [history] section of the rubric."
        if rubric_problem
        else "Grade this item by hand and report the error to the course staff.",
        code=code,
        audience="instructor" if rubric_problem else "student",
    )
    return CheckResult([finding], {"error": error}, time.perf_counter() - started)
