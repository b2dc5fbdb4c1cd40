"""Run the checks a rubric lists, so that no check can stop the grading.

A check is a module of :mod:`grading.checks` with ``NAME`` and ``run(ctx)``.
One that is not installed leaves its items to a person; one that raises
marks its items ``error`` and the others still run.
"""

from __future__ import annotations

import importlib
import time
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import Any

from grading.checks import CheckContext, CheckResult
from grading.pipeline.findings import Finding
from grading.pipeline.placeholders import jsonable
from grading.pipeline.rubric import Rubric

Progress = Callable[[str], None]


def load_check(name: str) -> ModuleType | None:
    """Import ``grading.checks.<name>``; return None if it does not exist."""
    module_name = f"grading.checks.{name}"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise


def owner(finding_id: str, check_names: list[str]) -> str | None:
    """Return the check module whose findings carry ``finding_id``.

    A check module may list the first dotted parts of its finding ids in
    ``FINDING_PREFIXES`` (``("hidden", "artifact")``). Otherwise the first
    part is matched with the module name: equal, or one a prefix of the other
    (``hidden.x`` -> ``hidden_tests``).
    """
    head = finding_id.split(".", 1)[0]
    for name in check_names:
        try:
            module = load_check(name)
        except Exception:  # noqa: BLE001 - a broken check is reported when it runs
            module = None
        if head in getattr(module, "FINDING_PREFIXES", ()):
            return name
    for name in check_names:
        if name == head:
            return name
    for name in check_names:
        if name.startswith(head) or head.startswith(name):
            return name
    return None


def items_fed(rubric: Rubric) -> dict[str, list[str]]:
    """Return the ids of the items each check module of the rubric feeds."""
    names = list(rubric.checks)
    feeds: dict[str, list[str]] = {n: [] for n in names}
    for item in rubric.items:
        owners = {owner(entry.check, names) for entry in item.checks}
        for name in sorted(o for o in owners if o):
            feeds[name].append(item.id)
    return feeds


def error_findings(name: str, exc: BaseException, items: list[str]) -> list[Finding]:
    """Return findings for a check that raised: one unassigned, one per item."""
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    out = [
        Finding(
            check=f"engine.{name}",
            item="",
            passed=None,
            message=f"The {name} check failed inside the grader "
            f"({type(exc).__name__}: {exc}).",
            hint="This is a grader problem, not yours; the instructor has the details.",
            evidence=trace[-4000:],
            code="grader_error",
            audience="instructor",
        )
    ]
    out += [
        Finding(
            check=f"engine.{name}",
            item=item,
            passed=False,
            message=f"This item could not be graded: the {name} check failed "
            "inside the grader.",
            hint="The instructor will look at it; you do not need to do anything.",
            code="grader_error",
        )
        for item in items
    ]
    return out


def missing_findings(name: str, items: list[str]) -> list[Finding]:
    """Return findings for a check module this grader lacks."""
    out = [
        Finding(
            check=f"engine.{name}",
            item="",
            passed=None,
            message=f"The {name} check is not available in this version of the "
            "grader; the items it grades wait for the instructor.",
            code="check_missing",
            audience="instructor",
        )
    ]
    out += [
        Finding(
            check=f"engine.{name}",
            item=item,
            passed=None,
            message="This item is graded by the instructor for now "
            f"(the automatic {name} check is not available).",
            code="manual_review",
        )
        for item in items
    ]
    return out


def run_one(name: str, ctx: CheckContext, items: list[str]) -> tuple[str, list, dict]:
    """Run one check; return ``(status, findings, details)``, never raising."""
    try:
        module = load_check(name)
        if module is None:
            return "missing", missing_findings(name, items), {}
        (ctx.workdir / name).mkdir(parents=True, exist_ok=True)
        result = module.run(ctx)
        if not isinstance(result, CheckResult):
            raise TypeError(
                f"grading.checks.{name}.run returned {type(result).__name__}, "
                "not CheckResult"
            )
        found = list(result.findings)
        for finding in found:
            if not isinstance(finding, Finding):
                raise TypeError(f"a finding of {name} is a {type(finding)}")
        return "ok", found, jsonable(result.details or {})
    except Exception as exc:  # noqa: BLE001 - a broken check must not stop grading
        return "error", error_findings(name, exc, items), {}


def run_checks(
    rubric: Rubric, ctx: CheckContext, progress: Progress
) -> tuple[list[Finding], dict[str, Any]]:
    """Run every check of the rubric in order.

    Returns
    -------
    findings : list of Finding
        Every finding of every check.
    info : dict
        ``{name: {"status", "seconds", "details"}}`` per check.
    """
    names = list(rubric.checks)
    feeds = items_fed(rubric)
    findings: list[Finding] = []
    info: dict[str, Any] = {}
    for index, name in enumerate(names, start=1):
        progress(f"[{index}/{len(names)}] {name}: running")
        start = time.monotonic()
        status, found, details = run_one(name, ctx, feeds[name])
        seconds = round(time.monotonic() - start, 3)
        findings += found
        info[name] = {"status": status, "seconds": seconds, "details": details}
        failed = sum(f.passed is False for f in found)
        progress(
            f"[{index}/{len(names)}] {name}: {status}, {len(found)} finding(s), "
            f"{failed} failed, {seconds:.1f} s"
        )
    return findings, info
