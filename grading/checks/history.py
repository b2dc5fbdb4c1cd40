"""Check ``history``: judge the git history of a submission.

A thin entry over :mod:`grading.history`. The points come from the rule in
the ``[history]`` section of the lab's rubric; ``ctx.options.base`` (from
``--base``) names the template's last commit when the instructor knows it.
"""

from __future__ import annotations

import time

from grading.checks import CheckContext, CheckResult
from grading.history import HistoryConfigError, analyze, load_config
from grading.history.findings import to_findings
from grading.pipeline.findings import Finding

NAME = "history"


def run(ctx: CheckContext) -> CheckResult:
    """Analyse ``ctx.submission``'s history and return findings and the report."""
    started = time.perf_counter()
    try:
        cfg, item, points = load_config(ctx.rubric)
    except HistoryConfigError as exc:
        finding = Finding(
            check="history.rule",
            item="git_history",
            passed=False,
            message=str(exc),
            code="grader_error",
            hint="Fix the [history] section of the rubric.",
            audience="instructor",
        )
        return CheckResult(
            [finding], {"error": str(exc)}, time.perf_counter() - started
        )
    try:
        report = analyze(ctx.submission, cfg, points, ctx.options.base)
    except Exception as exc:  # noqa: BLE001 - a broken repository must not stop grading
        finding = Finding(
            check="history.rule",
            item=item,
            passed=None,
            message=f"The history check failed on this repository: {exc!r}",
            hint="Grade this item by hand and report the error to the course staff.",
            code="manual_review",
            audience="student",
        )
        return CheckResult(
            [finding], {"error": repr(exc)}, time.perf_counter() - started
        )
    return CheckResult(to_findings(report, item), report, time.perf_counter() - started)
