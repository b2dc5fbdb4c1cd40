"""Run the lab's hidden pytest suite on the student's code (check ``hidden_tests``).

Steps, all outside the submission:

1. a working copy of the submission (:func:`grading.sandbox.make_working_copy`)
   with the protected course files restored (:func:`restore_protected`);
2. the hidden tests (``grading/hidden/suites/<lab>/`` plus the recorder plugin
   ``grader_plugin.py``) copied beside it, never into it;
3. one sandboxed pytest process (:func:`run_sandboxed`, :func:`pytest_argv`)
   that writes one outcome per test to a JSON file after every test;
4. the models the tests saved verified by the grader with LiteRT, in a child
   process of its own (``python -m grading.hidden.artifacts``).

Findings: ``hidden.<item>.<check>`` from the tests (parametrised tests of one
check are aggregated, with partial credit per variant) and
``artifact.<item>.<check>`` from the models; each failed one carries a hint
(:mod:`grading.hidden.hints`). A crash, timeout, ``sys.exit`` or ``os._exit`` keeps
the outcomes of the tests that finished and fails the others with the reason.
Without a hidden-tests folder (the public student template) the code items
are left to a person, saying why.

Options read from ``ctx.options`` (:class:`grading.pipeline.options.GradeOptions`):
``timeout``, ``test_timeout``, ``memory_mb`` and ``hidden_tests_cache``.
"""

from __future__ import annotations

import ast
import json
import re
import secrets
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from grading.checks import CheckContext, CheckResult
from grading.checks.hidden_tests import NAME, not_run_findings
from grading.hidden import fresh_clone, hints
from grading.pipeline.findings import Finding
from grading.pipeline.options import DEFAULT_TEST_TIMEOUT, DEFAULT_TESTS_TIMEOUT
from grading.pipeline.rubric import Item
from grading.util.paths import REFERENCE_DIR, REPO_ROOT, SUITES_DIR
from grading.versions.identify import identify_for

INSTRUCTOR_ROOT = REPO_ROOT
HIDDEN_ROOT = SUITES_DIR
PLUGIN = HIDDEN_ROOT / "grader_plugin.py"
ARTIFACT_TIMEOUT = 120.0
RESULTS_NAME = "hidden-results.json"


# ------------------------------------------------------------------ helpers


def _config(ctx: CheckContext) -> dict[str, Any]:
    """The rubric's ``[hidden_tests]`` section with defaults."""
    cfg = ctx.rubric.section("hidden_tests")
    cfg.setdefault("folder", ctx.lab)
    cfg.setdefault("plugins", [])
    return cfg


def _items(ctx: CheckContext) -> dict[str, Item]:
    return {item.id: item for item in ctx.rubric.items}


def _with_hint(finding: Finding, items: dict[str, Item], extra: str = "") -> Finding:
    """Add the hint (and a more specific code) to a failed finding."""
    if finding.passed is not False:
        return finding
    item = items.get(finding.item)
    text = "\n".join([finding.message, finding.evidence, extra])
    code, hint = hints.hint_for(
        text,
        finding.code,
        item.readme if item else "",
        item.title if item else "",
    )
    if (
        code not in ("failed", "")
        and code != finding.code
        and hints.match(text, finding.code) is not None
    ):
        finding.code = code
    finding.hint = hint
    return finding


def _load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _variant(nodeid: str) -> str:
    """``test_x.py::test_y[clustered-2]`` -> ``clustered-2`` (or ``""``)."""
    if nodeid.endswith("]") and "[" in nodeid:
        return nodeid[nodeid.rindex("[") + 1 : -1]
    return ""


def _running_check(data: dict[str, Any]) -> str | None:
    """The check (and variant) of the test that was running, never its name.

    Hidden test names stay out of student messages; the rubric check id
    (``clustered_model.cluster_call``) says as much to the student.
    """
    running = data.get("running")
    if not running:
        return None
    for entry in data.get("collected") or []:
        if isinstance(entry, dict) and entry.get("nodeid") == running:
            variant = _variant(str(running))
            check = f"{entry.get('item')}.{entry.get('check')}"
            return f"x::the check {check}" + (f" ({variant})" if variant else "")
    return "x::a hidden test"


def _unfinished_reason(
    result, timeout: float, memory_mb: int, running: str | None
) -> tuple[str, str]:
    """Why tests did not finish: ``(message, code)``."""
    where = f" while running {running.split('::', 1)[-1]}" if running else ""
    if result is None:
        return "did not finish: the test process could not start", "grader_error"
    if result.timed_out:
        return (
            f"did not finish: timeout after {timeout:.0f} s{where} (the "
            "whole hidden suite has this limit)",
            "timeout",
        )
    if result.memory_exceeded:
        return (
            f"did not finish: the memory limit of {memory_mb} MB was exceeded{where}",
            "memory",
        )
    code = result.returncode
    if code < 0:
        return (
            f"did not finish: the test process was killed by signal "
            f"{-code}{where} (a crash in native code or the memory limit)",
            "crashed",
        )
    return (
        f"did not finish: the test process exited with code {code}{where} "
        "(sys.exit or os._exit in the code?)",
        "exited",
    )


# ------------------------------------------------------------- test outcomes


def _test_findings(
    ctx: CheckContext,
    data: dict[str, Any],
    unfinished: tuple[str, str],
    items: dict[str, Item],
) -> list[Finding]:
    """Aggregate per-test outcomes into one finding per (item, check)."""
    results = data.get("results") if isinstance(data.get("results"), dict) else {}
    collected = data.get("collected") if isinstance(data.get("collected"), list) else []
    tests: dict[tuple[str, str], list[tuple[str, dict]]] = {}
    docs: dict[tuple[str, str], str] = {}
    for entry in collected:
        if not isinstance(entry, dict) or not entry.get("item"):
            continue
        key = (str(entry["item"]), f"hidden.{entry['item']}.{entry['check']}")
        outcome = results.get(entry.get("nodeid"))
        if not isinstance(outcome, dict) or outcome.get("outcome") is None:
            outcome = {
                "outcome": "unfinished",
                "message": unfinished[0],
                "code": unfinished[1],
                "evidence": "",
            }
        tests.setdefault(key, []).append((_variant(str(entry["nodeid"])), outcome))
        if entry.get("doc"):
            docs[key] = str(entry["doc"])
    # Rubric checks without a collected test (collection failed, crash before).
    for item, check in ctx.rubric.checks_with_prefix(("hidden.",)):
        if (item, check) not in tests:
            message, code = unfinished
            errors = data.get("collect_errors") or []
            if errors:
                message = "the hidden tests could not be collected"
                code = "grader_error"
            tests[(item, check)] = [
                (
                    "",
                    {
                        "outcome": "unfinished",
                        "message": message,
                        "code": code,
                        "evidence": "",
                    },
                )
            ]
    findings = []
    for (item, check), runs in sorted(tests.items()):
        failed = [(v, o) for v, o in runs if o.get("outcome") != "passed"]
        variants = [v for v, _ in runs if v]
        what = docs.get((item, check), check.rsplit(".", 1)[-1].replace("_", " "))
        if not failed:
            suffix = f" ({', '.join(variants)})" if variants else ""
            findings.append(
                Finding(
                    check=check,
                    item=item,
                    passed=True,
                    message=f"Passed: {what}{suffix}.",
                    data={"variants": variants},
                )
            )
            continue
        by_message: dict[str, list[str]] = {}
        evidence = []
        for variant, outcome in failed:
            message = str(outcome.get("message") or "the test failed")
            by_message.setdefault(message, []).append(variant)
            if outcome.get("evidence"):
                evidence.append(str(outcome["evidence"]))
        lines = [
            f"{', '.join(v for v in vs if v)}: {m}" if any(vs) else m
            for m, vs in by_message.items()
        ]
        codes = [str(o.get("code")) for _, o in failed if o.get("code")]
        finding = Finding(
            check=check,
            item=item,
            passed=False,
            message="; ".join(dict.fromkeys(lines))[:3000],
            evidence="\n".join(dict.fromkeys(evidence))[:4000],
            code=codes[0] if codes else "failed",
            score=(len(runs) - len(failed)) / len(runs),
            data={
                "failed": [v for v, _ in failed],
                "variants": variants,
                "exceptions": sorted(
                    {str(o.get("exception")) for _, o in failed if o.get("exception")}
                ),
            },
        )
        extra = " ".join(str(o.get("exception", "")) for _, o in failed)
        findings.append(_with_hint(finding, items, extra))
    return findings


# ----------------------------------------------------------------- integrity


def _tamper_findings(
    ctx: CheckContext, data: dict[str, Any], result, integrity: dict[str, Any] | None
) -> list[Finding]:
    """Hold every code item for a person when the test run was tampered with.

    The hidden tests run in the student's process, so their outcomes can be
    forged; :func:`grading.sandbox.integrity_report` says whether pytest's,
    numpy's or the grader's own functions were replaced during the run, or the
    results file was rewritten after it. Code written against the grader can
    hide that too, which is why what the model shows is verified outside.
    """
    reasons = []
    finished = (
        bool(data.get("finished")) and not result.killed and result.returncode in (0, 1)
    )
    if integrity is None and finished:
        reasons.append(
            "the test run ended normally but without its integrity "
            "report (something suppressed it)"
        )
    if integrity and integrity["changed"]:
        names = ", ".join(integrity["changed"][:8])
        reasons.append(
            f"the student's code replaced functions of the test "
            f"machinery during the run: {names}"
        )
    if integrity and integrity["results_rewritten"]:
        reasons.append(
            "the results file of the tests was rewritten after the tests ended"
        )
    if not reasons:
        return []
    code_items = sorted(
        {item for item, _ in ctx.rubric.checks_with_prefix(("hidden.", "artifact."))}
    )
    return [
        Finding(
            check=f"integrity.{item}",
            item=item,
            passed=None,
            code="tampered",
            audience="instructor",
            message="The hidden-test results of this item cannot be trusted: "
            + "; ".join(reasons)
            + ". The item earns nothing until a "
            "person has reviewed the code.",
            evidence="\n".join((integrity or {}).get("changed", [])),
            data={"reasons": reasons},
        )
        for item in code_items
    ]


# ------------------------------------------------- configuration, ignored

#: Files that would change how pytest or Python start, if they were read.
_STARTUP_FILES = ("conftest.py", "pytest.ini", "sitecustomize.py", "usercustomize.py")
#: Files that change pytest only when they hold this section.
_SECTIONS = {
    "pyproject.toml": "[tool.pytest",
    "setup.cfg": "[tool:pytest]",
    "tox.ini": "[pytest]",
}


def _ignored_config(workcopy: Path) -> list[Finding]:
    """Tell the instructor which pytest or start-up files the run ignored.

    The sandbox never reads them (see :func:`grading.sandbox.pytest_argv`);
    a submission that carries them may have tried to change the outcome.
    """
    found = []
    for path in sorted(workcopy.rglob("*")):
        name = path.name
        if not path.is_file():
            continue
        rel = path.relative_to(workcopy).as_posix()
        if name in _STARTUP_FILES or name.endswith(".pth"):
            found.append(rel)
        elif name in _SECTIONS:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if _SECTIONS[name] in text:
                found.append(f"{rel} ({_SECTIONS[name]}])".replace("]]", "]"))
    if not found:
        return []
    return [
        Finding(
            check="hidden.ignored_config",
            item="",
            passed=None,
            code="ignored_config",
            audience="instructor",
            message="The submission contains files that configure pytest or Python "
            "start-up; the hidden tests ignored them: "
            + ", ".join(found[:20])
            + ". Look at them if the student may have tried to change the "
            "test outcome.",
            evidence="\n".join(found),
        )
    ]


# ------------------------------------------------------------------ secrecy

#: Text put where hidden-test or reference text was in a student message.
REDACTED = "[grader text removed]"
#: Shorter lines are too common to count as a leak (and too short to help).
MIN_SECRET_LINE = 25


def _lines(folder: Path, patterns: tuple[str, ...]) -> set[str]:
    found: set[str] = set()
    for pattern in patterns:
        for path in folder.rglob(pattern):
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            found.update(line.strip() for line in text.splitlines())
    return found


def _string_constants(folder: Path) -> list[str]:
    """Every string literal of the Python files in ``folder`` (joined parts)."""
    found = []
    for path in folder.rglob("*.py"):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, SyntaxError, ValueError):
            continue
        found += [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        ]
    return found


def _secrets(tests: Path) -> tuple[list[str], list[str], set[str]]:
    """Hidden-test lines, reference lines and hidden test names to keep secret.

    Lines that also appear in the course package the students have are public
    and not counted.
    """
    public = _lines(INSTRUCTOR_ROOT / "dl_in_iot_course", ("*.py",))
    # The first docstring line of each test describes its check to students.
    for path in tests.rglob("test_*.py"):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                doc = (ast.get_docstring(node) or "").strip()
                if doc:
                    public.add(doc.splitlines()[0].strip())

    def secret(lines: set[str]) -> list[str]:
        return sorted(
            (x for x in lines if len(x) >= MIN_SECRET_LINE and x not in public),
            key=len,
            reverse=True,
        )

    hidden = secret(_lines(tests, ("*.py", "*.toml")))
    # Reference lines that the hidden tests quote (the calls the task asks
    # for, in "expected ..." messages) are expectations, not secrets.
    quoted = "\n".join(_string_constants(tests))
    reference = [
        line for line in secret(_lines(REFERENCE_DIR, ("*.py",))) if line not in quoted
    ]
    names: set[str] = set()
    for path in tests.glob("test_*.py"):
        text = path.read_text(encoding="utf-8", errors="replace")
        names.update(re.findall(r"def (test_\w+)\(", text))
    public_text = "\n".join(public)
    names = {n for n in names if n not in public_text}
    return hidden, reference, names


def _redact_text(text: str, lines: list[str], names: set[str]) -> tuple[str, bool]:
    changed = False
    for line in lines:
        if line in text:
            text = text.replace(line, REDACTED)
            changed = True
    for name in names:
        if name in text:
            text = re.sub(rf"\b{re.escape(name)}\b", REDACTED, text)
            changed = True
    return text, changed


def _redact(findings: list[Finding], tests: Path) -> list[Finding]:
    """Remove hidden-test and reference text from what students see.

    Student code runs where the hidden tests are and can read them (and the
    reference, where the file system allows it) and put them into exception
    messages, outputs or files that end up in findings. The student view gets
    the text with those lines replaced; the instructor gets a finding with
    what was removed.
    """
    hidden, reference, names = _secrets(tests)
    leaked: list[str] = []
    for finding in findings:
        if finding.audience != "student":
            continue
        message, hit = _redact_text(finding.message, hidden + reference, names)
        # The evidence shows the student's own frames: their code may equal
        # the reference, so only hidden-test text is removed there.
        evidence, hit2 = _redact_text(finding.evidence, hidden, names)
        hint, hit3 = _redact_text(finding.hint, hidden + reference, names)
        if hit or hit2 or hit3:
            leaked.append(finding.check)
            finding.message, finding.evidence, finding.hint = message, evidence, hint
    if not leaked:
        return findings
    return findings + [
        Finding(
            check="integrity.leak",
            item="",
            passed=None,
            code="leak",
            audience="instructor",
            message="Text of the hidden tests or the reference solution appeared in "
            "what the student's code produced (exception messages, outputs); "
            "it was removed from the student's view. The student's code may "
            "have read the hidden tests.",
            evidence=", ".join(sorted(set(leaked))),
        )
    ]


# ----------------------------------------------------------------- artifacts


def _artifact_findings(
    ctx: CheckContext, spec: Path, artifacts: Path, work: Path, items: dict[str, Item]
) -> tuple[list[Finding], float]:
    """Run ``python -m grading.hidden.artifacts`` in a child; return its findings."""
    from grading.sandbox import run_sandboxed

    start = time.monotonic()
    wanted = ctx.rubric.checks_with_prefix(("artifact.",))
    result = run_sandboxed(
        [
            sys.executable,
            "-P",
            "-m",
            "grading.hidden.artifacts",
            str(spec),
            str(artifacts),
        ],
        # The artifacts folder is already the child's; ``work`` also holds the
        # hidden tests, which no child may own.
        artifacts,
        timeout=ARTIFACT_TIMEOUT,
        memory_mb=int(ctx.options.memory_mb or 4096),
        pythonpath=[INSTRUCTOR_ROOT],
    )
    raw: list = []
    if result.ok:
        try:
            raw = json.loads(result.stdout)
        except ValueError:
            raw = []
    findings = []
    for entry in raw if isinstance(raw, list) else []:
        finding = Finding.from_dict(entry)
        findings.append(_with_hint(finding, items))
    seen = {f.check for f in findings}
    for item, check in wanted:
        if check in seen:
            continue
        if result.ok:
            message, code = (
                "the grader found nothing to verify for this check "
                "(the hidden tests did not produce the model)",
                "not_run",
            )
        elif result.timed_out:
            message, code = (
                f"the grader's inspection of the model files did not "
                f"finish in {ARTIFACT_TIMEOUT:.0f} s",
                "load_failed",
            )
        else:
            message, code = (
                "LiteRT could not read the model files the code "
                "wrote (the inspecting process crashed)",
                "load_failed",
            )
        findings.append(
            _with_hint(
                Finding(
                    check=check,
                    item=item,
                    passed=False,
                    message=message,
                    code=code,
                    data={"stderr_tail": result.stderr[-1500:]},
                ),
                items,
            )
        )
    return findings, time.monotonic() - start


# ---------------------------------------------------------------------- run


def run(ctx: CheckContext) -> CheckResult:
    """Run the hidden tests of ``ctx.lab`` on ``ctx.submission``.

    Returns
    -------
    CheckResult
        Findings as described in the module docstring; ``details`` holds the
        per-test outcomes, the sandbox summary and the timings.
    """
    from grading.sandbox import (
        PYTEST_PLUGINS,
        describe,
        grant_access,
        integrity_report,
        make_working_copy,
        pytest_argv,
        restore_protected,
        run_sandboxed,
    )

    started = time.monotonic()
    cfg = _config(ctx)
    items = _items(ctx)
    source = HIDDEN_ROOT / str(cfg["folder"])
    if not source.is_dir() or not any(source.glob("test_*.py")):
        reason = (
            f"the hidden tests of {ctx.lab} are not part of this copy of "
            "the grader (the public student template ships without them)"
        )
        return CheckResult(
            findings=not_run_findings(ctx, reason, "no_hidden_tests"),
            details={"ran": False, "reason": reason},
            seconds=time.monotonic() - started,
        )

    work = Path(ctx.workdir) / NAME
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    workcopy, tests, artifacts = work / "workcopy", work / "tests", work / "artifacts"
    findings: list[Finding] = []
    findings += make_working_copy(ctx.submission, workcopy)
    findings += _ignored_config(workcopy)
    template = identify_for(ctx)
    findings += restore_protected(
        workcopy,
        ctx.rubric.protected,
        ctx.rubric.protected_functions,
        INSTRUCTOR_ROOT,
        template.facts(),
        template.version,
    )
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(source, tests, ignore=ignore)
    shutil.copy2(PLUGIN, tests / PLUGIN.name)
    artifacts.mkdir()
    grant_access(artifacts)
    results_path = artifacts / RESULTS_NAME

    timeout = float(ctx.options.timeout or cfg.get("timeout") or DEFAULT_TESTS_TIMEOUT)
    test_timeout = float(
        ctx.options.test_timeout or cfg.get("test_timeout") or DEFAULT_TEST_TIMEOUT
    )
    memory_mb = ctx.options.memory_mb or None
    env = {
        "GRADER_RESULTS": str(results_path),
        "GRADER_ARTIFACTS": str(artifacts),
        "GRADER_WORKCOPY": str(workcopy.resolve()),
        "GRADER_TESTS_DIR": str(tests.resolve()),
        "GRADER_FAST_EXIT": "1",
    }
    if template.asks is not None:
        env["GRADER_ASKS"] = ",".join(template.asks)
    cache = ctx.options.hidden_tests_cache
    if cache:
        Path(cache).mkdir(parents=True, exist_ok=True)
        grant_access(Path(cache))
        env["GRADER_CACHE"] = str(Path(cache).resolve())
    plugins = (*PYTEST_PLUGINS, "grader_plugin", *[str(p) for p in cfg["plugins"]])
    nonce = secrets.token_hex(8)
    argv = pytest_argv(
        tests,
        workcopy,
        ["--assert=plain", "-q", "-rN", "--color=no", f"--timeout={test_timeout:.0f}"],
        plugins=plugins,
        integrity=nonce,
    )
    kwargs: dict[str, Any] = {
        "timeout": timeout,
        "extra_env": env,
        "pythonpath": [tests],
    }
    if memory_mb:
        kwargs["memory_mb"] = memory_mb
    result = None
    try:
        result = run_sandboxed(argv, workcopy, **kwargs)
    except OSError as exc:
        findings.append(
            Finding(
                check="hidden.sandbox",
                item="",
                passed=None,
                code="grader_error",
                audience="instructor",
                message=f"The hidden tests could not start: {exc}",
            )
        )
    data = _load_json(results_path)
    if result is not None:
        result, data, more = fresh_clone.retry(
            ctx.rubric.item_fed_by(fresh_clone.CHECK),
            workcopy,
            artifacts,
            results_path,
            (result, data),
            lambda: run_sandboxed(argv, workcopy, **kwargs),
            Path(env["GRADER_WORKCOPY"]),
        )
        findings += more
    tests_seconds = result.seconds if result is not None else 0.0
    if data.get("finished") and result is not None and not result.killed:
        unfinished = ("did not run", "not_run")
    else:
        unfinished = _unfinished_reason(
            result, timeout, memory_mb or 0, _running_check(data)
        )
    findings += _test_findings(ctx, data, unfinished, items)
    abnormal = not data.get("finished") or (
        result is not None and result.returncode not in (0, 1)
    )
    if result is not None and abnormal:
        findings.append(
            Finding(
                check="hidden.run",
                item="",
                passed=None,
                audience="instructor",
                code=unfinished[1],
                message=f"The hidden test run ended abnormally: {unfinished[0]}.",
                evidence=(result.stderr[-2000:] + "\n" + result.stdout[-2000:]).strip(),
            )
        )

    integrity = None
    if result is not None:
        integrity = integrity_report(result.stderr, nonce, results_path)
        findings += _tamper_findings(ctx, data, result, integrity)

    spec = tests / "artifacts.toml"
    artifact_seconds = 0.0
    if spec.is_file():
        more, artifact_seconds = _artifact_findings(ctx, spec, artifacts, work, items)
        findings += more
    findings = _redact(findings, tests)
    manifest = _load_json(artifacts / "manifest.json")
    details = {
        "ran": True,
        "tests": {
            k: {"outcome": v.get("outcome"), "seconds": v.get("seconds")}
            for k, v in (data.get("results") or {}).items()
            if isinstance(v, dict)
        },
        "sandbox": describe(result) if result is not None else {},
        "integrity": integrity,
        "timings": {
            "pytest": round(tests_seconds, 3),
            "artifacts": round(artifact_seconds, 3),
            "tf_import": (manifest.get("timings") or {}).get("tf_import"),
            "student": round(
                sum(
                    float(v.get("seconds") or 0)
                    for v in (manifest.get("variants") or {}).values()
                    if isinstance(v, dict)
                ),
                3,
            ),
        },
    }
    return CheckResult(
        findings=findings, details=details, seconds=time.monotonic() - started
    )
