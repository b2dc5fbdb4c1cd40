"""Grade one submission: run the lab's checks, score them, write the results.

The engine knows no lab. It reads the rubric (``grading/labs/<lab>.toml``),
runs the check modules the rubric lists (:mod:`grading.pipeline.check_runner`),
scores their findings (:mod:`grading.pipeline.scoring`), writes
``results.json``, ``gradescope/results.json`` and ``junit.xml``
(:mod:`grading.pipeline.outputs`) and renders the reports
(:mod:`grading.report`).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import grading
from grading import report
from grading.checks import CheckContext
from grading.pipeline import bounds, outputs
from grading.pipeline.check_runner import Progress, run_checks
from grading.pipeline.detect import NoLabError, detect_lab
from grading.pipeline.findings import Finding
from grading.pipeline.options import GradeOptions
from grading.pipeline.placeholders import replacements, scrub
from grading.pipeline.rubric import Rubric, RubricError, load_rubric
from grading.pipeline.scoring import score
from grading.sandbox.environment import EnvironmentProblem, check_environment
from grading.util.paths import REPO_ROOT
from grading.versions import course_modules
from grading.versions.identify import identify_for

#: The instructor's repository (stubs, misc package, hidden tests).
INSTRUCTOR_ROOT = REPO_ROOT


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


def _scratch_folder(submission: Path, out_dir: Path) -> Path:
    workdir = Path(tempfile.mkdtemp(prefix="grading-work-"))
    if _inside(workdir, submission):
        shutil.rmtree(workdir, ignore_errors=True)
        workdir = Path(tempfile.mkdtemp(prefix=".grading-work-", dir=out_dir.parent))
    os.chmod(workdir, 0o755)
    return workdir


# --------------------------------------------------------------------------
# Steps of a grading
# --------------------------------------------------------------------------


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


def _status(findings: list[Finding]) -> str:
    if any(f.code == "grader_error" for f in findings):
        return "error"
    if any(f.code == "timeout" for f in findings):
        return "timeout"
    return "graded"


def _resolve_lab(
    submission: Path, lab: str | None, progress: Progress
) -> tuple[Rubric, list[Finding]]:
    findings: list[Finding] = []
    try:
        if lab is None:
            lab, findings = detect_lab(submission)
            progress(f"lab: {lab} (detected)")
        return load_rubric(lab), findings
    except (RubricError, NoLabError) as exc:
        raise GradingError(str(exc)) from exc


def _environment(
    options: GradeOptions, progress: Progress, lab: str
) -> tuple[dict[str, Any], list[Finding]]:
    if not options.check_environment:
        return {}, []
    try:
        environment, findings = check_environment(modules=course_modules(lab))
    except EnvironmentProblem as exc:
        raise GradingError(str(exc)) from exc
    for finding in findings:
        progress(f"environment: {finding.message}")
    return environment, findings


def _template_version(ctx: CheckContext, progress: Progress) -> list[Finding]:
    """Identify the template version (set on ``ctx``); its finding, or a note."""
    try:
        template = identify_for(ctx)
    except Exception as exc:  # noqa: BLE001 - grading goes on without it
        return [
            Finding(
                check="template.version",
                item="",
                passed=None,
                message="The template version could not be identified "
                f"({type(exc).__name__}: {exc}); every requirement is graded.",
                code="template_unknown",
                audience="instructor",
            )
        ]
    progress(f"template: {', '.join(template.candidates)} ({template.method})")
    return [template.finding(ctx.rubric.requirements)]


def _run_in_scratch(
    submission: Path,
    out_dir: Path,
    rubric: Rubric,
    options: GradeOptions,
    progress: Progress,
) -> tuple[list[Finding], dict[str, Any]]:
    """Run the checks in a scratch folder; return path-free findings and info."""
    workdir = _scratch_folder(submission, out_dir)
    try:
        ctx = CheckContext(submission, workdir, rubric.lab, rubric, options)
        findings = _template_version(ctx, progress)
        checked, info = run_checks(rubric, ctx, progress)
        findings += checked
    finally:
        if options.keep_workdir:
            progress(f"scratch folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    pairs = replacements(workdir, out_dir, submission)
    findings = [Finding.from_dict(scrub(f.to_dict(), pairs)) for f in findings]
    for entry in info.values():
        entry["details"] = bounds.bound_details(scrub(entry["details"], pairs))
    return findings, info


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


def _write(
    results: dict[str, Any],
    out_dir: Path,
    pairs: list[tuple[str, str]],
    progress: Progress,
) -> None:
    """Write the machine outputs, then the reports; a report failure is noted."""
    outputs.write_all(results, out_dir)
    try:
        report.render_submission(results, out_dir)
    except Exception as exc:  # noqa: BLE001 - reports must not fail grading
        failure = scrub(_report_failure(exc).to_dict(), pairs)
        progress(f"reports: {failure['message']}")
        results["unassigned"].append(failure)
    for name in ("report.html", "report.md", "report-instructor.html", "junit.xml"):
        if bounds.cap_text_file(out_dir / name):
            progress(f"{name} was cut to {bounds.MAX_REPORT_BYTES} bytes")


def grade(
    submission: Path,
    lab: str | None = None,
    out: Path | None = None,
    *,
    student: str | None = None,
    options: GradeOptions | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Grade one submission and write its results.

    Parameters
    ----------
    submission : Path
        The student's repository (read only).
    lab : str, optional
        Lab id; detected with :func:`grading.pipeline.detect.detect_lab` when
        ``None``.
    out : Path, optional
        Output folder, ``<submission>-grade/`` beside it by default; never
        inside the submission.
    student : str, optional
        Student id for the reports; the submission folder name by default.
    options : GradeOptions, optional
        How to grade (time limits, history base, overrides, ...).
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
    options = options or GradeOptions()
    submission = Path(submission).expanduser()
    if not submission.is_dir():
        raise GradingError(
            f"submission folder {submission} does not exist or is not a folder"
        )
    submission = submission.resolve()
    out_dir = prepare_out(submission, out)
    rubric, findings = _resolve_lab(submission, lab, progress)
    t0 = time.monotonic()
    environment, env_findings = _environment(options, progress, rubric.lab)
    timings: dict[str, float] = {"environment": round(time.monotonic() - t0, 3)}
    checked, info = _run_in_scratch(submission, out_dir, rubric, options, progress)
    findings = [bounds.bound_finding(f) for f in findings + env_findings + checked]
    findings = sorted(findings, key=_finding_key)
    timings["checks"] = round(sum(c["seconds"] for c in info.values()), 3)
    timings.update({f"check:{name}": entry["seconds"] for name, entry in info.items()})
    results: dict[str, Any] = {
        "schema": 1,
        "lab": rubric.lab,
        "title": rubric.title,
        "submission": str(submission),
        "student": student or submission.name,
        "status": _status(findings),
        "graded_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "grader_version": grading.__version__,
        "rubric_sha256": rubric.sha256,
        **score(rubric, findings, options.overrides),
        "checks": info,
        "timings": timings,
        "environment": environment,
    }
    timings["total"] = round(time.monotonic() - started, 3)
    bounds.fit_results(results)
    _write(results, out_dir, replacements(out_dir, out_dir, submission), progress)
    timings["total"] = round(time.monotonic() - started, 3)
    outputs.write_json(out_dir / "results.json", results)
    return results
