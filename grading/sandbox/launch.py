"""pytest in the sandbox: the command line, the launcher, the tamper report.

:func:`pytest_argv` builds the command that runs pytest in the child so that
the submission's own pytest configuration, ``conftest.py``,
``sitecustomize.py``, ``usercustomize.py`` and ``.pth`` files have no effect;
the child runs :mod:`grading.sandbox.launcher`.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from grading.sandbox import launcher

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
        try:
            now = hashlib.sha256(Path(results_path).read_bytes()).hexdigest()
        except OSError:
            now = ""
        rewritten = now != report["results_sha256"]
    return {
        "changed": [str(c) for c in report.get("changed") or []],
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
    """Return the grader's own empty pytest ini file (created on first use)."""
    folder = Path(tempfile.gettempdir()) / f"grading-sandbox-{os.geteuid()}"
    ini = folder / "pytest.ini"
    text = "[pytest]\n# The grader's own (empty) pytest configuration.\n"
    try:
        folder.mkdir(mode=0o755, exist_ok=True)
        info = os.lstat(folder)
        if info.st_uid != os.geteuid() or not stat.S_ISDIR(info.st_mode):
            raise PermissionError(folder)
        if not ini.is_file() or ini.read_text(encoding="utf-8") != text:
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".ini")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, ini)
        os.chmod(folder, 0o755)
    except OSError:
        folder = Path(tempfile.mkdtemp(prefix="grading-sandbox-"))
        os.chmod(folder, 0o755)
        ini = folder / "pytest.ini"
        ini.write_text(text, encoding="utf-8")
        os.chmod(ini, 0o644)
    return ini


def pytest_argv(
    tests_dir: Path,
    workcopy: Path,
    extra: list[str] | None = None,
    *,
    pythonpath: list[Path] | None = None,
    plugins: tuple[str, ...] = PYTEST_PLUGINS,
    targets: list[str] | None = None,
    integrity: str | None = None,
) -> list[str]:
    """Return the command that runs the hidden tests in the sandbox.

    The command is ``python -s -S -B [-P] -c <launcher> <config> <pytest args>``:
    no ``site`` import (so ``.pth`` files, ``sitecustomize.py`` and
    ``usercustomize.py`` never run, wherever they are), an explicit
    ``sys.path`` of the standard library, then ``workcopy`` (and
    ``pythonpath``), then the grader's site-packages, with pytest and its
    plugins imported before the working copy is on the path. pytest gets
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
        pluggy, numpy and the plugins replaced during the session) for
        :func:`integrity_report`.

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
    }
    flags = ["-s", "-S", "-B"]
    flags.append("-P")
    argv = [sys.executable, *flags, "-c", _launcher_source(), json.dumps(cfg)]
    argv += [
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
        argv += ["-p", plugin]
    argv += [*(extra or [])]
    if targets:
        for target in targets:
            path, _, rest = str(target).partition("::")
            full = (tests_dir / path).resolve()
            if full != tests_dir and tests_dir not in full.parents:
                raise ValueError(f"test target {target!r} is outside {tests_dir}")
            argv.append(str(full) + (f"::{rest}" if rest else ""))
    else:
        argv.append(str(tests_dir))
    return argv
