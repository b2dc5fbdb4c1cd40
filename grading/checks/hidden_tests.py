"""Check ``hidden_tests``: the hidden pytest suite and the artifact checks.

A thin adapter over :mod:`grading.hidden.runner`. The student template ships
without the hidden part of the grader; there every code item is left to a
person, and the findings say why.
"""

from __future__ import annotations

from grading.checks import CheckContext, CheckResult
from grading.pipeline.findings import Finding

NAME = "hidden_tests"
#: First parts of the finding ids this check produces (see the engine's owner
#: lookup).
FINDING_PREFIXES = ("hidden", "artifact")


def not_run_findings(ctx: CheckContext, reason: str, code: str) -> list[Finding]:
    """Return findings that send every code item to a person, saying why."""
    findings = []
    for item, check in ctx.rubric.checks_with_prefix(("hidden.", "artifact.")):
        findings.append(
            Finding(
                check=check,
                item=item,
                passed=None,
                code="manual_review",
                message=f"Not checked automatically: {reason}. An instructor "
                "grades this item.",
                data={"reason": code},
            )
        )
    if not findings:
        findings.append(
            Finding(
                check="hidden.not_run",
                item="",
                passed=None,
                code=code,
                message=f"Hidden tests not run: {reason}.",
            )
        )
    return findings


def run(ctx: CheckContext) -> CheckResult:
    """Run the hidden tests of ``ctx.lab``, or say why they cannot run here."""
    try:
        from grading.hidden import runner
    except ModuleNotFoundError as exc:
        if exc.name not in ("grading.hidden", "grading.hidden.runner"):
            raise
        reason = (
            f"the hidden tests of {ctx.lab} are not part of this copy of the "
            "grader (the public student template ships without them)"
        )
        return CheckResult(
            findings=not_run_findings(ctx, reason, "no_hidden_tests"),
            details={"ran": False, "reason": reason},
        )
    return runner.run(ctx)
