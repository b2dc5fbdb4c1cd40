"""pytest in the sandbox: the command line, the launcher, the tamper report.

:func:`pytest_argv` builds the command that runs pytest in the child so that
the submission's own pytest configuration, ``conftest.py``,
``sitecustomize.py``, ``usercustomize.py`` and ``.pth`` files have no effect;
the child runs :mod:`grading.sandbox.launcher`.
"""

from __future__ import annotations

import hashlib
import json
import sys
import sysconfig
from pathlib import Path
from typing import Any

from grading.sandbox import isolation, launcher
from grading.util.io import read_untrusted
from grading.util.text import cap

#: Plugins loaded in the sandboxed pytest (plugin autoload is off there).
PYTEST_PLUGINS = ("pytest_timeout",)
#: First word of the tamper-evidence line the launcher prints.
INTEGRITY_PREFIX = launcher.INTEGRITY_PREFIX


def _launcher_source() -> str:
    """The launcher's source, given to ``python -c`` in the child."""
    return Path(launcher.__file__).read_text(encoding="utf-8")


def integrity_report(
    stderr: str, nonce: str, results_path: Path | None = None
) -> dict[str, Any] | None:
    """Read the tamper evidence of a pytest run started with ``integrity=``.

    Parameters
    ----------
    stderr : str
        Captured stderr of the run.
    nonce : str
        The value given to :func:`pytest_argv` as ``integrity``.
    results_path : Path, optional
        The recorder's results file; its hash at the end of the session is
        compared with the file as it is now.

    Returns
    -------
    dict or None
        ``None`` when the run printed no report (it crashed, exited early, or
        the report was suppressed); else ``{"changed": [names of functions
        of pytest, pluggy, numpy or the grader's plugins that the run
        replaced], "results_rewritten": bool}``. Code written against the
        grader can forge this too: it is evidence against generic tricks, not
        a proof of honesty.
    """
    report = None
    marker = f"{INTEGRITY_PREFIX} {nonce} "
    for line in stderr.splitlines():
        if line.startswith(marker):
            try:
                report = json.loads(line[len(marker) :])
            except ValueError:
                report = None
    if not isinstance(report, dict):
        return None
    rewritten = False
    if results_path is not None and report.get("results_sha256"):
        raw = read_untrusted(Path(results_path), 64 * 1024 * 1024)
        now = hashlib.sha256(raw).hexdigest() if raw is not None else ""
        rewritten = now != report["results_sha256"]
    changed = report.get("changed")
    return {
        "changed": [cap(str(c), 200) for c in (changed or [])[:50]]
        if isinstance(changed, list)
        else [],
        "results_rewritten": rewritten,
    }


def _site_dirs() -> list[str]:
    """Return the site-packages folders of the running interpreter."""
    paths = sysconfig.get_paths()
    dirs: list[str] = []
    for key in ("purelib", "platlib"):
        if paths.get(key) and paths[key] not in dirs:
            dirs.append(paths[key])
    return dirs


def empty_ini() -> Path:
    """Return the grader's own empty pytest ini file (every child sees it)."""
    return isolation.support_file("pytest.ini", isolation.PYTEST_INI)


def _pytest_options(tests_dir: Path, plugins: tuple[str, ...]) -> list[str]:
    options = [
        "-c",
        str(empty_ini()),
        "--rootdir",
        str(tests_dir),
        "--confcutdir",
        str(tests_dir),
        "-p",
        "no:cacheprovider",
        "--import-mode=append",
        # The launcher imports the plugins before pytest starts (so the
        # working copy cannot shadow them); pytest then warns it cannot
        # rewrite their asserts, which is noise.
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
    ]
    for plugin in plugins:
        options += ["-p", plugin]
    return options


def _targets(tests_dir: Path, targets: list[str] | None) -> list[str]:
    if not targets:
        return [str(tests_dir)]
    found = []
    for target in targets:
        path, _, rest = str(target).partition("::")
        full = (tests_dir / path).resolve()
        if full != tests_dir and tests_dir not in full.parents:
            raise ValueError(f"test target {target!r} is outside {tests_dir}")
        found.append(str(full) + (f"::{rest}" if rest else ""))
    return found


def pytest_argv(
    tests_dir: Path,
    workcopy: Path,
    extra: list[str] | None = None,
    *,
    pythonpath: list[Path] | None = None,
    plugins: tuple[str, ...] = PYTEST_PLUGINS,
    targets: list[str] | None = None,
    integrity: str | None = None,
    results: Path | None = None,
    packages: tuple[str, ...] = (),
) -> list[str]:
    """Return the command that runs the hidden tests in the sandbox.

    The command is ``python -s -S -B -P -c <launcher> <config> <pytest args>``
    (see :mod:`grading.sandbox.launcher`): no ``site`` import (so ``.pth``
    files, ``sitecustomize.py`` and ``usercustomize.py`` never run, wherever
    they are), an explicit ``sys.path`` of the standard library and the
    grader's ``PYTHONPATH``, then the grader's site-packages, then
    ``workcopy`` (and ``pythonpath``) last, with pytest and its plugins
    imported before the working copy is on the path. pytest gets
    ``-c`` with the grader's own empty ini (no ``pytest.ini``,
    ``pyproject.toml``, ``setup.cfg`` or ``tox.ini`` of the submission is read),
    ``--rootdir`` and ``--confcutdir`` at ``tests_dir`` (no ``conftest.py``
    above it is loaded), ``-p no:cacheprovider`` and ``--import-mode=append``
    (the tests folder never goes before the student's code on ``sys.path``).
    Run it with :func:`run_sandboxed`, whose environment has no
    ``PYTEST_ADDOPTS`` and sets ``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``.

    Parameters
    ----------
    tests_dir : Path
        Folder of hidden test modules; must lie outside ``workcopy``.
    workcopy : Path
        The working copy whose code the tests import.
    extra : list of str, optional
        More pytest options (``-k``, ``--junitxml=...``, ``-x``); they come
        after ours, so they may override ``--import-mode``.
    pythonpath : list of Path, optional
        More import folders, after ``workcopy``.
    plugins : tuple of str, optional
        Plugin modules loaded explicitly with ``-p``.
    targets : list of str, optional
        Test files or node ids relative to ``tests_dir``
        (``"test_pruned.py::test_sparsity"``); the whole folder by default.
    integrity : str, optional
        A nonce: the run then prints tamper evidence (functions of pytest,
        pluggy, numpy and the plugins replaced during the session, and the
        hash of ``results`` at the end of the session) for
        :func:`integrity_report`.
    results : Path, optional
        The recorder's results file, hashed for the tamper evidence.
    packages : tuple of str, optional
        The student's top-level packages (``dl_in_iot_course``): imported from
        ``workcopy`` only. Everything else is found in the standard library
        and site-packages first; the working copy comes last.

    Raises
    ------
    ValueError
        If ``tests_dir`` is inside ``workcopy`` (its conftest files would be
        the student's).
    """
    tests_dir = Path(tests_dir).resolve()
    workcopy = Path(workcopy).resolve()
    if tests_dir == workcopy or workcopy in tests_dir.parents:
        raise ValueError(
            f"hidden tests folder {tests_dir} lies inside the working copy "
            f"{workcopy}; copy the tests outside it first"
        )
    cfg = {
        "site": _site_dirs(),
        "path": [str(workcopy)] + [str(Path(p).resolve()) for p in pythonpath or []],
        "plugins": list(plugins),
        "integrity": integrity or "",
        "results": str(results or ""),
        "packages": list(packages),
    }
    argv = [sys.executable, "-s", "-S", "-B", "-P", "-c", _launcher_source()]
    argv += [json.dumps(cfg), *_pytest_options(tests_dir, plugins), *(extra or [])]
    argv += _targets(tests_dir, targets)
    return argv
