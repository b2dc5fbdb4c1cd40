"""The grader's own look at the models, after the student's run has ended.

When the sandboxed test run is over (its whole process tree gone), the
artifacts folder it wrote is copied: regular files only, no link followed,
sizes capped (:func:`grading.sandbox.copy_out`). The copy is inspected by
:mod:`grading.hidden.artifacts` in a sandboxed process of its own (a crafted
``.tflite`` is input to a native parser), which sees the copy, the grader's
masters and the spec, all read-only, and runs that module from the
grader's own files (:data:`INSPECTOR_FILES`, bound read-only under
:data:`INSPECTOR_ROOT`): no code comes from a folder the student's code
could reach, and nothing else of the grader is visible. Its output is
parsed as untrusted too.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from grading.hidden import artifacts
from grading.hidden.outcomes import with_hint
from grading.pipeline.findings import Finding
from grading.pipeline.rubric import Rubric
from grading.sandbox import Mount, copy_out, run_sandboxed
from grading.util.paths import REPO_ROOT
from grading.util.text import cap

#: The grader's files the inspecting process imports (``artifacts`` and the
#: checks of part 2's models with what they import), relative to the
#: repository; each is bound read-only under :data:`INSPECTOR_ROOT`.
INSPECTOR_FILES = (
    "grading/__init__.py",
    "grading/hidden/__init__.py",
    "grading/hidden/artifacts.py",
    "grading/hidden/quantized_artifacts.py",
    "grading/hidden/structured_artifacts.py",
    "grading/hidden/tflite.py",
    "dl_in_iot_course/__init__.py",
    "dl_in_iot_course/misc/__init__.py",
    "dl_in_iot_course/misc/fashion_mnist.py",
    "dl_in_iot_course/misc/fashion_net.py",
)
INSPECTOR_ROOT = "/opt/grader-inspector"
#: The inspecting process's program; the repository itself comes second on
#: the path for runs without a sandbox (``--unsafe-no-sandbox``), where the
#: binds do not exist.
_INSPECTOR_MAIN = (
    "import runpy, sys; sys.path[:0] = [{root!r}, {repo!r}]; "
    "runpy.run_module('grading.hidden.artifacts', run_name='__main__')"
)

#: Wall-time and CPU-time limits of the inspection, seconds.
INSPECT_TIMEOUT, INSPECT_CPU = 180.0, 120.0
#: Largest file and total size copied out of the run's artifacts folder. Part
#: 2 of lab 03 leaves state dicts, ONNX and TFLite files of about 64 MB each
#: when the model was not shrunk (no speedup), and they must all be read.
MAX_ARTIFACT_BYTES, MAX_ARTIFACTS_BYTES = 128 * 1024 * 1024, 1024 * 1024 * 1024


def _parse(stdout: str, rubric: Rubric, proof: set[str] = frozenset()) -> list[Finding]:
    """The inspection's findings; anything malformed or unknown is dropped.

    Kept: the artifact checks the rubric scores, ``*.derived`` and the
    checks ``proof`` names (the spec's ``[proof_checks]``, scored by no item).
    """
    wanted = {check for _, check in rubric.checks_with_prefix(("artifact.",))}
    wanted |= set(proof)
    try:
        raw = json.loads(stdout[: 4 * 1024 * 1024])
    except (ValueError, RecursionError):
        return []
    found = []
    for entry in raw if isinstance(raw, list) else []:
        if not isinstance(entry, dict) or entry.get("passed") not in (True, False):
            continue
        check = str(entry.get("check", ""))
        if not check.startswith("artifact.") or rubric.item(entry.get("item")) is None:
            continue
        # The proof's facts (``derived`` and the rest) go to the instructor.
        fact = check.rsplit(".", 1)[-1] in artifacts.INSTRUCTOR_ONLY
        if check not in wanted and not fact:
            continue
        data = entry.get("data") if isinstance(entry.get("data"), dict) else {}
        score = entry.get("score")
        found.append(
            Finding(
                check=check,
                item=str(entry["item"]),
                passed=bool(entry["passed"]),
                message=cap(str(entry.get("message", "")), 3000),
                evidence=cap(str(entry.get("evidence", "")), 4000),
                code=cap(str(entry.get("code", "")), 40),
                score=float(score) if isinstance(score, int | float) else None,
                audience="instructor"
                if entry.get("audience") == "instructor"
                else "student",
                data={
                    "variants": [cap(str(v), 100) for v in data.get("variants", [])],
                    "failed": [cap(str(v), 100) for v in data.get("failed", [])],
                    "codes": {
                        cap(str(k), 100): cap(str(v), 40)
                        for k, v in dict(data.get("codes") or {}).items()
                    }
                    if isinstance(data.get("codes"), dict)
                    else {},
                },
            )
        )
    return found


def _missing(rubric, found, result, timed_out: bool) -> list[Finding]:
    """Failures for the rubric's artifact checks the inspection did not report."""
    seen = {f.check for f in found}
    extra = []
    for item, check in rubric.checks_with_prefix(("artifact.",)):
        if check in seen:
            continue
        if timed_out:
            message, code, passed = "could not check: time limit", "timeout", None
        elif result is not None and result.ok:
            message, code, passed = (
                "the grader found nothing to verify for this check (the hidden "
                "tests did not produce the model)",
                "not_run",
                False,
            )
        else:
            message, code, passed = (
                "LiteRT could not read the model files the code wrote (the "
                "inspecting process failed)",
                "load_failed",
                False,
            )
        stderr = result.stderr[-1500:] if result is not None else ""
        finding = Finding(
            check=check,
            item=item,
            passed=passed,
            message=message,
            code=code,
            data={"stderr_tail": stderr},
        )
        extra.append(with_hint(finding, rubric))
    return extra


def inspect(
    rubric: Rubric,
    spec_path: Path,
    artifacts_dir: Path,
    work: Path,
    masters: Path | None,
    *,
    memory_mb: int,
    unsafe: bool,
    run_timed_out: bool,
) -> tuple[list[Finding], float, list[str]]:
    """Copy the run's artifacts and check the copy; return findings.

    Returns
    -------
    tuple
        ``(findings, seconds, left out)``: one finding per artifact check
        (``timeout`` for those the run could not reach in time), the
        inspection's wall time, and the entries the copy left out.
    """
    start = time.monotonic()
    spec = artifacts.load_spec(spec_path)
    copy, scratch = work / "artifacts-copy", work / "inspect"
    scratch.mkdir(exist_ok=True)
    skipped = copy_out(
        artifacts_dir,
        copy,
        max_file_bytes=MAX_ARTIFACT_BYTES,
        max_total_bytes=MAX_ARTIFACTS_BYTES,
    )
    original = (masters or work / "no-masters") / str(spec.get("original", ""))
    mounts = [Mount(copy), Mount(spec_path)]
    if masters is not None:
        mounts.append(Mount(masters))
    mounts += [
        Mount(REPO_ROOT / name, target=f"{INSPECTOR_ROOT}/{name}")
        for name in INSPECTOR_FILES
    ]
    argv = [
        sys.executable,
        "-s",
        "-P",
        "-B",
        "-c",
        _INSPECTOR_MAIN.format(root=INSPECTOR_ROOT, repo=str(REPO_ROOT)),
        str(spec_path),
        str(copy),
        "--original",
        str(original),
    ]
    result = run_sandboxed(
        argv,
        scratch,
        timeout=INSPECT_TIMEOUT,
        cpu_seconds=INSPECT_CPU,
        memory_mb=memory_mb,
        mounts=mounts,
        unsafe=unsafe,
    )
    proof = {c for cs in (spec.get("proof_checks") or {}).values() for c in cs}
    found = _parse(result.stdout, rubric, proof) if result.ok else []
    # What a time limit stopped, or what the run did not reach because of
    # one, was not checked: not a failure.
    stopped = {"timeout", "not_run"} if run_timed_out else {"timeout"}
    for finding in found:
        codes = set(finding.data.get("codes", {}).values()) | {finding.code}
        if finding.passed is False and codes & stopped:
            finding.passed, finding.code = None, "timeout"
            finding.message = f"Could not check: time limit ({finding.message})"
            finding.score = None
    found = [with_hint(f, rubric) for f in found]
    found += _missing(rubric, found, result, run_timed_out)
    return found, time.monotonic() - start, skipped
