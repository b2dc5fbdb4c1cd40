"""Check the grading environment before any student code runs.

Hidden tests written for TensorFlow 2.21 with tf-keras can give wrong verdicts
on another version (a Keras 3 error, a different converter), so the grader
compares what is installed with the pins of ``requirements.txt`` first and
says plainly what drifted. Versions come from package metadata
(:mod:`importlib.metadata`); TensorFlow is never imported here.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from grading.pipeline.findings import Finding
from grading.util.paths import REQUIREMENTS

#: Distributions the hidden tests need, by the name used in requirements.txt.
#: ``tensorflow`` is satisfied by ``tensorflow-cpu`` too.
REQUIRED = ("tensorflow", "tf_keras", "tensorflow-model-optimization", "ai-edge-litert")
#: Oldest Python the course supports.
MIN_PYTHON = (3, 10)

_FIX = (
    "Install the pinned versions with 'pip install -r requirements.txt' (or "
    "rebuild the grading image) and grade again."
)


class EnvironmentProblem(RuntimeError):
    """A package the grader needs is missing; the message says which and how to fix."""


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path = REQUIREMENTS) -> dict[str, str]:
    """Return ``{canonical name: version}`` of the ``==`` pins in a requirements file.

    Parameters
    ----------
    path : Path
        A pip requirements file; ``-r`` includes, comments and markers are
        skipped. A missing file gives ``{}``.
    """
    pins: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return pins
    for line in text.splitlines():
        line = line.split("#", 1)[0].split(";", 1)[0].strip()
        match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*==\s*([^\s,]+)$", line)
        if match:
            pins[_canonical(match.group(1))] = match.group(2)
    return pins


def installed_version(name: str) -> str | None:
    """Return the installed version of distribution ``name`` or ``None``."""
    candidates = [name]
    if _canonical(name) == "tensorflow":
        candidates += ["tensorflow-cpu", "tensorflow_cpu"]
    for candidate in candidates:
        try:
            return metadata.version(candidate)
        except metadata.PackageNotFoundError:
            continue
    return None


def missing_modules(modules: tuple[str, ...]) -> list[str]:
    """The modules of ``modules`` that cannot be imported here (not imported)."""
    missing = []
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def _course_findings(modules: tuple[str, ...]) -> list[Finding]:
    """One instructor finding per module the course uses that is missing."""
    return [
        Finding(
            check="environment.course_module",
            item="",
            passed=None,
            message=f"The course has students use the module {name}, which is not "
            "installed here: student code that uses it fails in the sandbox "
            "and loses points it should not.",
            hint=_FIX,
            evidence=name,
            code="environment_missing",
            audience="instructor",
            data={"module": name},
        )
        for name in missing_modules(modules)
    ]


def _python_findings() -> list[Finding]:
    """A finding when this Python is older than the course needs."""
    if sys.version_info[:2] >= MIN_PYTHON:
        return []
    return [
        Finding(
            check="environment.python",
            item="",
            passed=None,
            message=f"Python {platform.python_version()} is older than the "
            f"{'.'.join(map(str, MIN_PYTHON))} the course needs.",
            hint="Use the grading image or a newer Python.",
            code="environment_drift",
            audience="instructor",
        )
    ]


def check_environment(
    required: tuple[str, ...] = REQUIRED,
    requirements: Path = REQUIREMENTS,
    modules: tuple[str, ...] = (),
) -> tuple[dict[str, Any], list[Finding]]:
    """Compare the installed packages with the pins.

    Parameters
    ----------
    required : tuple of str
        Distributions that must be installed.
    requirements : Path
        The pins file (``requirements.txt`` of this repository).
    modules : tuple of str
        Python modules the course has students use (``[uses]`` of
        ``grading/versions/templates.toml``); each one that cannot be
        imported gives an instructor finding.

    Returns
    -------
    versions : dict
        ``{"python": "3.11.7", "tensorflow": "2.21.0", ..., "platform": ...,
        "TF_USE_LEGACY_KERAS": ...}`` for ``results.json``.
    findings : list of Finding
        One unassigned instructor-view finding per drift (version differs
        from the pin, Python too old, a course module missing,
        ``TF_USE_LEGACY_KERAS`` set to something else than ``1`` in the
        grader's environment).

    Raises
    ------
    EnvironmentProblem
        If a required distribution is not installed.
    """
    pins = read_pins(requirements)
    versions: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
    }
    findings: list[Finding] = []
    missing = []
    for name in required:
        have = installed_version(name)
        versions[name] = have
        if have is None:
            missing.append(name)
            continue
        want = pins.get(_canonical(name))
        if want and have != want:
            findings.append(
                Finding(
                    check="environment.version",
                    item="",
                    passed=None,
                    message=f"{name} {have} is installed but requirements.txt pins "
                    f"{want}; the hidden tests were written for {want}, so verdicts "
                    "may differ.",
                    hint=_FIX,
                    evidence=f"installed {name}=={have}; expected {name}=={want}",
                    code="environment_drift",
                    audience="instructor",
                    data={"package": name, "installed": have, "expected": want},
                )
            )
    if missing:
        raise EnvironmentProblem(
            "the grading environment lacks "
            + ", ".join(missing)
            + f" (Python {sys.executable}). "
            + _FIX
        )
    findings += _python_findings() + _course_findings(modules)
    legacy = os.environ.get("TF_USE_LEGACY_KERAS")
    versions["TF_USE_LEGACY_KERAS"] = legacy
    if legacy not in (None, "1"):
        findings.append(
            Finding(
                check="environment.legacy_keras",
                item="",
                passed=None,
                message=f"TF_USE_LEGACY_KERAS is {legacy!r} in the grader's "
                "environment; TFMOT needs Keras 2, so the sandbox sets it to 1 "
                "for student code anyway.",
                hint="Unset it or set it to 1 where the grader runs.",
                code="environment_drift",
                audience="instructor",
            )
        )
    return versions, findings
