"""Evidence of tampering with the test run, and configuration it ignored.

Neither is proof: the student's code runs in the same process as the hidden
tests and can hide what it does. What counts is what the grader verifies on
the models outside that process (:mod:`grading.hidden.proof`); these findings
tell the instructor where to look.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from grading.checks import CheckContext
from grading.pipeline.findings import Finding
from grading.util.text import cap


def tamper_findings(
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


#: Files that would change how pytest or Python start, if they were read.
_STARTUP_FILES = ("conftest.py", "pytest.ini", "sitecustomize.py", "usercustomize.py")
#: Files that change pytest only when they hold this section.
_SECTIONS = {
    "pyproject.toml": "[tool.pytest",
    "setup.cfg": "[tool:pytest]",
    "tox.ini": "[pytest]",
}


def ignored_config(workcopy: Path) -> list[Finding]:
    """Tell the instructor which pytest or start-up files the run ignored.

    The sandbox never reads them (see :func:`grading.sandbox.pytest_argv`);
    a submission that carries them may have tried to change the outcome.
    """
    found = []
    for path in sorted(workcopy.rglob("*")):
        name = path.name
        if not path.is_file():
            continue
        rel = cap(path.relative_to(workcopy).as_posix(), 200)
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
            evidence="\n".join(found[:50]),
        )
    ]


def _installed_names() -> set[str]:
    """Top-level module names of the standard library and site-packages."""
    import pkgutil
    import sysconfig

    paths = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    names = {m.name for m in pkgutil.iter_modules(sorted(paths))}
    return names | set(sys.stdlib_module_names)


def shadow_packages(workcopy: Path, own: tuple[str, ...]) -> list[Finding]:
    """Tell the instructor which folders or modules of the submission are
    named like installed packages (``tensorflow_model_optimization/``).

    They are never imported in place of the installed ones (the working copy
    comes last on the child's ``sys.path``); a submission that carries them
    may have tried to replace the library the tests watch.
    """
    installed = _installed_names()
    found = []
    for path in sorted(workcopy.iterdir()):
        name = path.stem if path.suffix == ".py" else path.name
        if path.is_dir() or path.suffix == ".py":
            if name in installed and name not in own:
                found.append(cap(path.name, 200))
    if not found:
        return []
    return [
        Finding(
            check="hidden.shadow_packages",
            item="",
            passed=None,
            code="shadow_package",
            audience="instructor",
            message="The submission contains folders or modules named like "
            "installed packages; the hidden tests imported the installed ones: "
            + ", ".join(found[:20])
            + ". Look at them if the student may have tried to replace a "
            "library the tests watch.",
            evidence="\n".join(found[:50]),
        )
    ]
