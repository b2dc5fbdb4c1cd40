"""Grade one submission: run the lab's checks, score them, write the results.

The engine knows no lab. It reads the rubric (``grading/labs/<lab>.toml``),
runs the check modules the rubric lists (``checks = [...]``, modules of
:mod:`grading.checks`), scores their findings with :func:`grading.pipeline.rubric.score`
and writes ``results.json``, ``gradescope/results.json`` and ``junit.xml``
(:mod:`grading.pipeline.outputs`), then the reports if :mod:`grading.report` is
available. A check that is not installed leaves its items to a person; a
check that crashes marks its items ``error`` and the others still run.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib
import json
import os
import re
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grading
from grading.checks import CheckContext, CheckResult
from grading.pipeline import outputs
from grading.pipeline.findings import Finding
from grading.pipeline.rubric import RubricError, available_labs, load_rubric
from grading.pipeline.rubric import score as score_findings
from grading.sandbox.environment import EnvironmentProblem, check_environment
from grading.util.paths import REPO_ROOT

#: The instructor's repository (stubs, misc package, hidden tests).
INSTRUCTOR_ROOT = REPO_ROOT

Progress = Callable[[str], None]
# Temporary HOME folders of sandboxed runs (random names).
_SANDBOX_HOME = re.compile(
    re.escape(tempfile.gettempdir().rstrip("/")) + r"/grading-home-[A-Za-z0-9_]+"
)


class GradingError(RuntimeError):
    """The grader itself cannot run; the message says why and what to do."""


# --------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------


def default_out(submission: Path) -> Path:
    """Return ``<submission>-grade/`` beside the submission."""
    submission = Path(submission).resolve()
    return submission.parent / f"{submission.name}-grade"


def _inside(path: Path, folder: Path) -> bool:
    path, folder = Path(path).resolve(), Path(folder).resolve()
    return path == folder or folder in path.parents


def prepare_out(submission: Path, out: Path | None) -> Path:
    """Create and check the output folder.

    Raises
    ------
    GradingError
        If ``out`` lies inside the submission or cannot be written.
    """
    out = default_out(submission) if out is None else Path(out).resolve()
    if _inside(out, submission):
        raise GradingError(
            f"output folder {out} is inside the submission {submission}; the "
            "grader never writes into a submission. Choose another --out (the "
            f"default is {default_out(submission)})."
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-", delete=True)
        probe.close()
    except OSError as exc:
        raise GradingError(
            f"cannot write into the output folder {out}: {exc.strerror or exc}. "
            "Choose a writable --out."
        ) from exc
    return out


# --------------------------------------------------------------------------
# Lab detection
# --------------------------------------------------------------------------


def _differs_from_template(submission: Path, rel: str) -> bool:
    """True if the submission has ``rel`` and it is not the instructor's file."""
    mine = submission / rel
    if not mine.is_file():
        return False
    template = INSTRUCTOR_ROOT / rel
    try:
        return not template.is_file() or mine.read_bytes() != template.read_bytes()
    except OSError:
        return True


def detect_lab(submission: Path) -> tuple[str, list[Finding]]:
    """Guess the lab of a submission from its summary folder and edited modules.

    Each lab with a rubric gets 2 points when its ``summary_dir`` holds a file
    and 1 point when its ``student_module`` differs from the course template.
    The highest total wins; a tie (or no sign at all) is broken by taking the
    first lab with a rubric in name order, and a finding says so (when there
    is only one lab, it is taken without a finding).

    Returns
    -------
    lab : str
        The lab id.
    findings : list of Finding
        Informational findings on how the lab was chosen.

    Raises
    ------
    GradingError
        If no lab has a rubric.
    """
    labs = available_labs()
    if not labs:
        raise GradingError(
            "no lab rubric found in grading/labs/; nothing to grade with"
        )
    scores: dict[str, int] = {}
    for lab in labs:
        try:
            rubric = load_rubric(lab)
        except RubricError:
            continue
        points = 0
        summary_dir = rubric.get("summary_dir")
        if summary_dir and (submission / summary_dir).is_dir():
            try:
                if any(p.is_file() for p in (submission / summary_dir).rglob("*")):
                    points += 2
            except OSError:
                pass
        module = rubric.get("student_module")
        if module and _differs_from_template(submission, module):
            points += 1
        scores[lab] = points
    if not scores:
        raise GradingError(
            "every rubric in grading/labs/ is broken; run 'python -m "
            "grading grade --lab LAB' to see the error"
        )
    best = max(scores.values())
    top = sorted(lab for lab, points in scores.items() if points == best)
    findings: list[Finding] = []
    chosen = top[0]
    if len(scores) > 1 and (best == 0 or len(top) > 1):
        why = (
            "no summary folder or edited experiment module of any lab was found"
            if best == 0
            else "the submission looks like several labs (" + ", ".join(top) + ")"
        )
        findings.append(
            Finding(
                check="engine.lab_detection",
                item="",
                passed=None,
                message=f"Graded as {chosen}: {why}, so the first lab with a rubric "
                "was taken.",
                hint="Pass --lab to grade another lab.",
                code="lab_ambiguous",
                data={"candidates": top, "scores": scores},
            )
        )
    return chosen, findings


# --------------------------------------------------------------------------
# Running checks
# --------------------------------------------------------------------------


def _owner(finding_id: str, check_names: list[str]) -> str | None:
    """Return the check module whose findings carry ``finding_id``.

    A check module may list the first dotted parts of its finding ids in
    ``FINDING_PREFIXES`` (``("hidden", "artifact")``). Otherwise the first
    part is matched with the module name: equal, or one a prefix of the other
    (``hidden.x`` -> ``hidden_tests``).
    """
    head = finding_id.split(".", 1)[0]
    for name in check_names:
        try:
            module = _load_check(name)
        except Exception:  # a broken check is reported when it runs
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


def _load_check(name: str):
    """Import ``grading.checks.<name>``; return None if it does not exist."""
    module_name = f"grading.checks.{name}"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise


def _jsonable(value: Any) -> Any:
    """Make ``value`` JSON-serialisable (paths and odd objects become text)."""
    try:
        json.dumps(value, sort_keys=True)
        return value
    except (TypeError, ValueError):
        pass
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set) else items
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)


def _grader_root_replacements() -> set[tuple[str, str]]:
    """Map the grader's own folder (in tracebacks) to ``<grader>/``.

    Results then do not depend on where the grader is installed (a clone in
    ``/tmp`` or ``/opt/grader``); the relative file names stay useful.
    """
    pairs = set()
    for root in {str(INSTRUCTOR_ROOT), os.path.realpath(INSTRUCTOR_ROOT)}:
        if root.rstrip(os.sep):
            pairs.add((root.rstrip(os.sep) + os.sep, "<grader>" + os.sep))
    return pairs


def _scrub(value: Any, replacements: list[tuple[str, str]]) -> Any:
    """Replace absolute scratch paths in strings (recursively) by placeholders."""
    if isinstance(value, str):
        for old, new in replacements:
            if old:
                value = value.replace(old, new)
        return _SANDBOX_HOME.sub("<home>", value)
    if isinstance(value, dict):
        return {k: _scrub(v, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, replacements) for v in value]
    return value


def _finding_key(finding: Finding) -> tuple:
    return (
        finding.check,
        finding.item,
        finding.code,
        finding.audience,
        finding.message,
        finding.evidence,
        json.dumps(finding.data, sort_keys=True, default=str),
    )


def _grader_error_findings(
    name: str, exc: BaseException, items: list[str]
) -> list[Finding]:
    """Findings for a check that raised: one unassigned, one per fed item."""
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
    for item in items:
        out.append(
            Finding(
                check=f"engine.{name}",
                item=item,
                passed=False,
                message=f"This item could not be graded: the {name} check failed "
                "inside the grader.",
                hint="The instructor will look at it; you do not need to do anything.",
                code="grader_error",
            )
        )
    return out


def _run_checks(
    rubric: dict[str, Any],
    ctx: CheckContext,
    progress: Progress,
) -> tuple[list[Finding], dict[str, Any]]:
    """Run every check of the rubric; never raise because of a check."""
    names = [str(n) for n in rubric.get("checks", [])]
    feeds: dict[str, list[str]] = {n: [] for n in names}
    for item in rubric["items"]:
        owners = {_owner(c["check"], names) for c in item["checks"]}
        for owner in sorted(o for o in owners if o):
            feeds[owner].append(item["id"])
    findings: list[Finding] = []
    info: dict[str, Any] = {}
    for index, name in enumerate(names, start=1):
        progress(f"[{index}/{len(names)}] {name}: running")
        start = time.monotonic()
        status = "ok"
        details: dict[str, Any] = {}
        try:
            module = _load_check(name)
            if module is None:
                status = "missing"
                found = [
                    Finding(
                        check=f"engine.{name}",
                        item="",
                        passed=None,
                        message=f"The {name} check is not available in this version "
                        "of the grader; the items it grades wait for the instructor.",
                        code="check_missing",
                        audience="instructor",
                    )
                ] + [
                    Finding(
                        check=f"engine.{name}",
                        item=item,
                        passed=None,
                        message="This item is graded by the instructor for now "
                        f"(the automatic {name} check is not available).",
                        code="manual_review",
                    )
                    for item in feeds[name]
                ]
            else:
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
                details = _jsonable(result.details or {})
        except Exception as exc:  # noqa: BLE001 - a broken check must not stop grading
            status = "error"
            found = _grader_error_findings(name, exc, feeds[name])
        seconds = round(time.monotonic() - start, 3)
        findings += found
        info[name] = {"status": status, "seconds": seconds, "details": details}
        failed = sum(f.passed is False for f in found)
        progress(
            f"[{index}/{len(names)}] {name}: {status}, {len(found)} finding(s), "
            f"{failed} failed, {seconds:.1f} s"
        )
    return findings, info


# --------------------------------------------------------------------------
# The whole grading
# --------------------------------------------------------------------------


def _status(findings: list[Finding]) -> str:
    if any(f.code == "grader_error" for f in findings):
        return "error"
    if any(f.code == "timeout" for f in findings):
        return "timeout"
    return "graded"


def _render_reports(results: dict[str, Any], out: Path) -> Finding | None:
    """Render the reports if the report package is there; return a failure."""
    try:
        report = importlib.import_module("grading.report")
    except ModuleNotFoundError as exc:
        if exc.name in ("grading.report", "grading"):
            return None
        return _report_failure(exc)
    except Exception as exc:  # noqa: BLE001 - reports must not fail grading
        return _report_failure(exc)
    render = getattr(report, "render_submission", None)
    if render is None:
        return None
    try:
        render(results, out)
    except Exception as exc:  # noqa: BLE001 - reports must not fail grading
        return _report_failure(exc)
    return None


def _report_failure(exc: BaseException) -> Finding:
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return Finding(
        check="engine.reports",
        item="",
        passed=None,
        message=f"The reports could not be rendered ({type(exc).__name__}: {exc}); "
        "results.json, gradescope/results.json and junit.xml are complete.",
        evidence=trace[-4000:],
        code="report_error",
        audience="instructor",
    )


def grade(
    submission: Path,
    lab: str | None = None,
    out: Path | None = None,
    *,
    student: str | None = None,
    options: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Grade one submission and write its results.

    Parameters
    ----------
    submission : Path
        The student's repository (read only).
    lab : str, optional
        Lab id; detected with :func:`detect_lab` when ``None``.
    out : Path, optional
        Output folder, ``<submission>-grade/`` beside it by default; never
        inside the submission.
    student : str, optional
        Student id for the reports; the submission folder name by default.
    options : dict, optional
        Passed to the checks as ``CheckContext.options`` (``base``,
        ``timeout``, ``memory_mb``, ...). Engine keys: ``overrides`` (manual
        decisions by item id), ``keep_workdir`` (keep the scratch folder),
        ``check_environment`` (default True).
    progress : callable, optional
        Receives one line per step (the CLI prints them to stderr).

    Returns
    -------
    dict
        The content of ``results.json`` (schema in docs/ARCHITECTURE.md).

    Raises
    ------
    GradingError
        When grading cannot run: missing submission, unknown lab, output
        folder inside the submission or not writable, missing packages.
    """
    started = time.monotonic()
    progress = progress or (lambda line: None)
    options = dict(options or {})
    timings: dict[str, float] = {}
    submission = Path(submission).expanduser()
    if not submission.is_dir():
        raise GradingError(
            f"submission folder {submission} does not exist or is not a folder"
        )
    submission = submission.resolve()
    out_dir = prepare_out(submission, out)

    findings: list[Finding] = []
    if lab is None:
        lab, detected = detect_lab(submission)
        findings += detected
        progress(f"lab: {lab} (detected)")
    try:
        rubric = load_rubric(lab)
    except RubricError as exc:
        raise GradingError(str(exc)) from exc

    t0 = time.monotonic()
    environment: dict[str, Any] = {}
    if options.get("check_environment", True):
        try:
            environment, env_findings = check_environment()
        except EnvironmentProblem as exc:
            raise GradingError(str(exc)) from exc
        findings += env_findings
        for finding in env_findings:
            progress(f"environment: {finding.message}")
    timings["environment"] = round(time.monotonic() - t0, 3)

    workdir = Path(tempfile.mkdtemp(prefix="grading-work-"))
    if _inside(workdir, submission):
        shutil.rmtree(workdir, ignore_errors=True)
        workdir = Path(tempfile.mkdtemp(prefix=".grading-work-", dir=out_dir.parent))
    os.chmod(workdir, 0o755)
    try:
        ctx = CheckContext(
            submission=submission,
            workdir=workdir,
            lab=lab,
            rubric=rubric,
            options={k: v for k, v in options.items() if k != "overrides"},
        )
        check_findings, check_info = _run_checks(rubric, ctx, progress)
    finally:
        if options.get("keep_workdir"):
            progress(f"scratch folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    findings += check_findings
    timings["checks"] = round(sum(c["seconds"] for c in check_info.values()), 3)
    for name, entry in check_info.items():
        timings[f"check:{name}"] = entry["seconds"]

    replacements = sorted(
        {
            (str(workdir), "<workdir>"),
            (os.path.realpath(workdir), "<workdir>"),
            (str(out_dir), "<out>"),
            (str(submission), "<submission>"),
            *_grader_root_replacements(),
        },
        key=lambda pair: -len(pair[0]),
    )
    findings = [Finding.from_dict(_scrub(f.to_dict(), replacements)) for f in findings]
    for name in check_info:
        check_info[name]["details"] = _scrub(check_info[name]["details"], replacements)
    findings.sort(key=_finding_key)

    scored = score_findings(rubric, findings, options.get("overrides"))
    results: dict[str, Any] = {
        "schema": 1,
        "lab": lab,
        "title": rubric.get("title", lab),
        "submission": str(submission),
        "student": student or submission.name,
        "status": _status(findings),
        "graded_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "grader_version": grading.__version__,
        "rubric_sha256": hashlib.sha256(Path(rubric["path"]).read_bytes()).hexdigest(),
        **scored,
        "checks": check_info,
        "timings": timings,
        "environment": environment,
    }
    timings["total"] = round(time.monotonic() - started, 3)
    outputs.write_all(results, out_dir)
    failure = _render_reports(results, out_dir)
    if failure is not None:
        progress(f"reports: {failure.message}")
        results["unassigned"].append(failure.to_dict())
        outputs.write_json(out_dir / "results.json", results)
    timings["total"] = round(time.monotonic() - started, 3)
    outputs.write_json(out_dir / "results.json", results)
    return results
