"""Run the lab's hidden pytest suite on the student's code (check ``hidden_tests``).

Steps, all outside the submission:

1. a working copy of the submission (:func:`grading.sandbox.make_working_copy`)
   with the protected course files restored (:func:`restore_protected`);
2. the hidden tests (``grading/hidden/suites/<lab>/`` plus the recorder plugin
   ``grader_plugin.py`` and the contract ``grader_contract.py``) copied
   beside it, never into it;
3. the suite's inputs built by the grader in a process without student code
   (:mod:`grading.hidden.masters`), read-only for everything after;
4. one sandboxed pytest process (:func:`run_sandboxed`, :func:`pytest_argv`)
   that sees the working copy (read-write), the tests and the masters
   (read-only) and an artifacts folder, and writes one outcome per test;
5. when its whole process tree is gone, a copy of the artifacts folder
   inspected by the grader in a sandboxed process of its own
   (:mod:`grading.hidden.inspection`);
6. the in-process outcomes counted only where that inspection proves them
   (:mod:`grading.hidden.proof`), and the student view cleaned
   (:mod:`grading.hidden.secrecy`).

Findings: ``hidden.<item>.<check>`` from the tests (parametrised tests of one
check are aggregated, with partial credit per variant) and
``artifact.<item>.<check>`` from the models; each failed one carries a hint
(:mod:`grading.hidden.hints`). A crash, ``sys.exit`` or ``os._exit`` keeps
the outcomes of the tests that finished and fails the others with the
reason; a time limit makes what it stopped ``timeout``, never a failure.
Without a hidden-tests folder (the public student template) the code items
are left to a person, saying why. Where bubblewrap cannot run the grader
refuses to run the code, unless ``GradeOptions.unsafe_no_sandbox``.

Limits: the rubric's ``[hidden_tests]`` ``cpu_limit`` (CPU seconds of the
whole run) and ``test_cpu_limit`` (of one test, fixtures included), with
``timeout`` and ``test_timeout`` as wall-time guards; ``GradeOptions``
``timeout``, ``test_timeout`` and ``memory_mb`` override.
"""

from __future__ import annotations

import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grading.checks import CheckContext, CheckResult
from grading.checks.hidden_tests import NAME, not_run_findings
from grading.hidden import (
    artifacts,
    fresh_clone,
    inspection,
    masters,
    outcomes,
    proof,
    secrecy,
)
from grading.hidden.suites.grader_contract import Contract
from grading.hidden.tamper import ignored_config, shadow_packages, tamper_findings
from grading.pipeline.findings import Finding
from grading.pipeline.options import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TEST_TIMEOUT,
    DEFAULT_TESTS_TIMEOUT,
)
from grading.sandbox import (
    PYTEST_PLUGINS,
    Mount,
    SandboxUnavailable,
    describe,
    grant_access,
    integrity_report,
    make_working_copy,
    pytest_argv,
    restore_protected,
    run_sandboxed,
    sandbox_status,
)
from grading.util.io import read_untrusted_json
from grading.util.paths import REFERENCE_DIR, REPO_ROOT, SUITES_DIR
from grading.versions.identify import identify_for

INSTRUCTOR_ROOT = REPO_ROOT
HIDDEN_ROOT = SUITES_DIR
PLUGIN = HIDDEN_ROOT / "grader_plugin.py"
CONTRACT = HIDDEN_ROOT / "grader_contract.py"
RESULTS_NAME = "hidden-results.json"


@dataclass(frozen=True)
class Limits:
    """Time and memory limits of one hidden-test run."""

    timeout: float
    cpu: float
    test_timeout: float
    test_cpu: float
    memory_mb: int

    def as_dict(self) -> dict[str, float]:
        return {"timeout": self.timeout, "cpu": self.cpu, "memory_mb": self.memory_mb}


def _config(ctx: CheckContext) -> dict[str, Any]:
    """The rubric's ``[hidden_tests]`` section with defaults."""
    cfg = dict(ctx.rubric.section("hidden_tests"))
    cfg.setdefault("folder", ctx.lab)
    cfg.setdefault("plugins", [])
    return cfg


def _limits(ctx: CheckContext, cfg: dict[str, Any]) -> Limits:
    options = ctx.options
    timeout = float(options.timeout or cfg.get("timeout") or DEFAULT_TESTS_TIMEOUT)
    test_timeout = float(
        options.test_timeout or cfg.get("test_timeout") or DEFAULT_TEST_TIMEOUT
    )
    return Limits(
        timeout=timeout,
        cpu=float(cfg.get("cpu_limit") or 0.0),
        test_timeout=test_timeout,
        test_cpu=float(cfg.get("test_cpu_limit") or 0.0),
        memory_mb=int(options.memory_mb or DEFAULT_MEMORY_MB),
    )


def _student_packages(ctx: CheckContext) -> tuple[str, ...]:
    module = str(ctx.rubric.student_module or "")
    top = module.split("/", 1)[0] if "/" in module else ""
    return (top,) if top else ()


def _sandbox_finding(reason: str, unsafe: bool) -> Finding:
    if unsafe:
        return Finding(
            check="hidden.sandbox",
            item="",
            passed=None,
            code="unsandboxed",
            message="The hidden tests ran WITHOUT a sandbox (--unsafe-no-sandbox: "
            f"{reason}). This result is feedback, not a grade of record.",
        )
    return Finding(
        check="hidden.sandbox",
        item="",
        passed=None,
        code="grader_error",
        message="The hidden tests were not run: the grader does not run "
        f"untrusted code without its sandbox ({reason}). Grade where "
        "bubblewrap works, or pass --unsafe-no-sandbox.",
    )


def _prepare(ctx: CheckContext, source: Path) -> tuple[dict[str, Any], list[Finding]]:
    """Make the working copy, the tests copy and the artifacts folder.

    ``paths`` also holds ``"asks"``, what the submission's template version
    asks (comma separated), when it is one of the original course.
    """
    work = Path(ctx.workdir) / NAME
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    paths = {
        "work": work,
        "workcopy": work / "workcopy",
        "tests": work / "tests",
        "artifacts": work / "artifacts",
    }
    findings = make_working_copy(ctx.submission, paths["workcopy"])
    findings += ignored_config(paths["workcopy"])
    findings += shadow_packages(paths["workcopy"], _student_packages(ctx))
    template = identify_for(ctx)
    findings += restore_protected(
        paths["workcopy"],
        ctx.rubric.protected,
        ctx.rubric.protected_functions,
        INSTRUCTOR_ROOT,
        template.facts(),
        template.version,
    )
    if template.asks is not None:
        paths["asks"] = ",".join(template.asks)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(source, paths["tests"], ignore=ignore)
    for helper in (PLUGIN, CONTRACT):
        shutil.copy2(helper, paths["tests"] / helper.name)
    paths["artifacts"].mkdir()
    grant_access(paths["artifacts"])
    return paths, findings


def _masters(ctx, cfg, paths, limits) -> tuple[Path | None, list[Finding]]:
    builder = cfg.get("masters")
    if not builder:
        return None, []
    shared = sandbox_status().available
    root = Path(ctx.options.hidden_tests_cache or masters.default_root())
    folder, reason = masters.build(
        str(builder),
        paths["tests"],
        INSTRUCTOR_ROOT,
        root if shared else paths["work"],
        memory_mb=limits.memory_mb,
        shared=shared,
    )
    if folder is None and shared and reason.startswith(masters.UNUSABLE):
        # A shared folder someone else owns (another grader's, an older
        # version's): build this grading's own instead of failing it.
        folder, reason = masters.build(
            str(builder),
            paths["tests"],
            INSTRUCTOR_ROOT,
            paths["work"],
            memory_mb=limits.memory_mb,
            shared=False,
        )
    if folder is not None:
        return folder, []
    return None, [
        Finding(
            check="hidden.masters",
            item="",
            passed=None,
            code="grader_error",
            audience="instructor",
            message="The grader could not build the hidden tests' inputs: "
            + reason[-1500:],
        )
    ]


def _run_suite(ctx, cfg, paths, limits, masters_dir, unsafe, nonce):
    """Run the suite in the sandbox; return (result or None, findings)."""
    results = paths["artifacts"] / RESULTS_NAME
    contract = Contract(
        results=str(results),
        artifacts=str(paths["artifacts"]),
        workcopy=str(paths["workcopy"].resolve()),
        tests_dir=str(paths["tests"].resolve()),
        masters=str(masters_dir or ""),
        test_cpu_seconds=limits.test_cpu,
        asks=paths.get("asks"),
        threads=int(getattr(ctx.options, "threads", 0) or 0),
    )
    plugins = (*PYTEST_PLUGINS, "grader_plugin", *[str(p) for p in cfg["plugins"]])
    argv = pytest_argv(
        paths["tests"],
        paths["workcopy"],
        [
            "--assert=plain",
            "-q",
            "-rN",
            "--color=no",
            f"--timeout={limits.test_timeout:.0f}",
        ],
        plugins=plugins,
        integrity=nonce,
        results=results,
        packages=_student_packages(ctx),
    )
    mounts = [Mount(paths["tests"]), Mount(paths["artifacts"], writable=True)]
    if masters_dir is not None:
        mounts.append(Mount(masters_dir))
    try:
        result = run_sandboxed(
            argv,
            paths["workcopy"],
            timeout=limits.timeout,
            cpu_seconds=limits.cpu or None,
            memory_mb=limits.memory_mb,
            extra_env=contract.to_env(),
            pythonpath=[paths["tests"]],
            mounts=mounts,
            unsafe=unsafe,
        )
    except OSError as exc:
        finding = Finding(
            check="hidden.sandbox",
            item="",
            passed=None,
            code="grader_error",
            audience="instructor",
            message=f"The hidden tests could not start: {exc}",
        )
        return None, [finding]
    return result, []


def _run_findings(ctx, data, result, limits) -> tuple[list[Finding], tuple[str, str]]:
    """Findings of the test outcomes, and of an abnormal end of the run."""
    if data["finished"] and result is not None and not result.killed:
        unfinished = ("did not run", "not_run")
    else:
        running = outcomes.running_check(data)
        unfinished = outcomes.unfinished_reason(result, limits.as_dict(), running)
    findings = outcomes.findings_of_tests(ctx.rubric, data, unfinished)
    abnormal = not data["finished"] or (
        result is not None and result.returncode not in (0, 1)
    )
    if result is not None and abnormal:
        tail = (result.stderr[-2000:] + "\n" + result.stdout[-2000:]).strip()
        findings.append(
            Finding(
                check="hidden.run",
                item="",
                passed=None,
                audience="instructor",
                code=unfinished[1],
                message=f"The hidden test run ended abnormally: {unfinished[0]}.",
                evidence=tail,
            )
        )
    return findings, unfinished


def _details(data, result, integrity, tests_seconds, inspect_seconds, paths, left):
    manifest = read_untrusted_json(paths["artifacts"] / "manifest.json")
    student = 0.0
    for entry in (manifest.get("variants") or {}).values():
        if isinstance(entry, dict) and isinstance(entry.get("seconds"), int | float):
            student += float(entry["seconds"])
    timings = (
        manifest.get("timings") if isinstance(manifest.get("timings"), dict) else {}
    )
    tf_import = timings.get("tf_import")
    return {
        "ran": True,
        "tests": {
            k: {
                "outcome": v["outcome"],
                "seconds": v["seconds"],
                "cpu_seconds": v["cpu_seconds"],
            }
            for k, v in data["results"].items()
        },
        "sandbox": describe(result) if result is not None else {},
        "integrity": integrity,
        "artifacts_left_out": left[:20],
        "timings": {
            "pytest": round(tests_seconds, 3),
            "pytest_cpu": result.cpu_seconds if result is not None else 0.0,
            "artifacts": round(inspect_seconds, 3),
            "tf_import": tf_import if isinstance(tf_import, int | float) else None,
            "student": round(student, 3),
        },
    }


def _not_run(ctx, started, reason, code) -> CheckResult:
    """Every code check not run: for a person (no hidden tests here) or, when
    the grader itself could not run them, an error that says why."""
    if code != "grader_error":
        findings = not_run_findings(ctx, reason, code)
    else:
        findings = [
            Finding(
                check=check,
                item=item,
                passed=None,
                code="grader_error",
                message=f"Not checked: {reason}.",
            )
            for item, check in ctx.rubric.checks_with_prefix(("hidden.", "artifact."))
        ]
    return CheckResult(
        findings=findings,
        details={"ran": False, "reason": reason},
        seconds=time.monotonic() - started,
    )


def run(ctx: CheckContext) -> CheckResult:
    """Run the hidden tests of ``ctx.lab`` on ``ctx.submission``.

    Returns
    -------
    CheckResult
        Findings as described in the module docstring; ``details`` holds the
        per-test outcomes, the sandbox summary and the timings.
    """
    started = time.monotonic()
    cfg = _config(ctx)
    source = HIDDEN_ROOT / str(cfg["folder"])
    if not source.is_dir() or not any(source.glob("test_*.py")):
        reason = (
            f"the hidden tests of {ctx.lab} are not part of this copy of the "
            "grader (the public student template ships without them)"
        )
        return _not_run(ctx, started, reason, "no_hidden_tests")
    unsafe = bool(getattr(ctx.options, "unsafe_no_sandbox", False))
    state = sandbox_status()
    if not state.available and not unsafe:
        result = _not_run(ctx, started, "the sandbox cannot run here", "grader_error")
        result.findings.append(_sandbox_finding(state.reason, unsafe=False))
        return result
    limits = _limits(ctx, cfg)
    paths, findings = _prepare(ctx, source)
    if not state.available:
        findings.append(_sandbox_finding(state.reason, unsafe=True))
    masters_dir, more = _masters(ctx, cfg, paths, limits)
    if more:
        result = _not_run(
            ctx,
            started,
            "the grader could not prepare the hidden tests",
            "grader_error",
        )
        result.findings[:0] = findings + more
        return result
    nonce = secrets.token_hex(8)
    suite = (ctx, cfg, paths, limits, masters_dir, unsafe, nonce)
    try:
        result, more = _run_suite(*suite)
    except SandboxUnavailable as exc:
        result = _not_run(ctx, started, "the sandbox cannot run here", "grader_error")
        result.findings += [*findings, _sandbox_finding(str(exc), unsafe=False)]
        return result
    findings += more
    results_path = paths["artifacts"] / RESULTS_NAME
    data = outcomes.load_results(results_path)
    if result is not None:
        result, _, more = fresh_clone.retry(
            ctx.rubric.item_fed_by(fresh_clone.CHECK),
            paths["workcopy"],
            paths["artifacts"],
            results_path,
            (result, data),
            lambda: _run_suite(*suite)[0],
            paths["workcopy"].resolve(),
        )
        findings += more
        data = outcomes.load_results(results_path)
    run_findings, unfinished = _run_findings(ctx, data, result, limits)
    findings += run_findings
    integrity = None
    if result is not None:
        integrity = integrity_report(result.stderr, nonce, results_path)
        findings += tamper_findings(ctx, data, result, integrity)
    spec_path = paths["tests"] / "artifacts.toml"
    inspect_seconds, left = 0.0, []
    if spec_path.is_file():
        checked, inspect_seconds, left = inspection.inspect(
            ctx.rubric,
            spec_path,
            paths["artifacts"],
            paths["work"],
            masters_dir,
            memory_mb=limits.memory_mb,
            unsafe=unsafe,
            run_timed_out=unfinished[1] == "timeout"
            or any(v["outcome"] == "timeout" for v in data["results"].values()),
        )
        findings += checked
        findings = proof.apply_proof(findings, artifacts.load_spec(spec_path))
    findings = secrecy.student_view(
        findings, paths["tests"], INSTRUCTOR_ROOT / "dl_in_iot_course", REFERENCE_DIR
    )
    tests_seconds = result.seconds if result is not None else 0.0
    details = _details(
        data, result, integrity, tests_seconds, inspect_seconds, paths, left
    )
    return CheckResult(
        findings=findings, details=details, seconds=time.monotonic() - started
    )
