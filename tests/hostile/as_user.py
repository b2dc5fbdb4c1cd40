"""Run tests of this tree as an unprivileged user (the grader not as root).

The sandbox must hold the same whether the grader runs as root or as a
normal user. As root, this script makes a test user (``gradetest``, home
``/home/gradetest`` mode 0700), copies the tree into that home, and runs
pytest there as that user with ``setpriv``:

    python tests/hostile/as_user.py --python /path/to/python -- \\
        tests/engine/test_isolation.py tests/engine/test_sandbox.py

``--python`` must be an interpreter with the requirements that the test user
can run (a virtual environment made from Debian's ``/usr/bin/python3``, for
example). ``--venv-in-home`` makes one under the user's 0700 home instead
(``/usr/bin/python3 -m venv`` and the pinned requirements): the case of an
interpreter under a home other users cannot read. ``tests/engine/
test_unprivileged.py`` calls :func:`run_as_user` for the fast isolation
tests; the hostile corpus is run the same way by hand (see
``docs/threat-model.md``).
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
USER = "gradetest"
HOME = Path("/home") / USER
#: What of the tree the tests need.
PARTS = ("grading", "dl_in_iot_course", "tests", "summaries", "bench", "docs")
FILES = ("pyproject.toml", "README.md", "requirements.txt", "requirements-dev.txt")


def ensure_user() -> pwd.struct_passwd:
    """The test user, made if missing; its home is 0700."""
    try:
        entry = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--create-home",
                "--home-dir",
                str(HOME),
                "--shell",
                "/usr/sbin/nologin",
                "--user-group",
                USER,
            ],
            check=True,
        )
        entry = pwd.getpwnam(USER)
    os.chmod(entry.pw_dir, 0o700)
    return entry


def _chown_tree(path: Path, entry: pwd.struct_passwd) -> None:
    for dirpath, dirnames, filenames in os.walk(path):
        for name in [*dirnames, *filenames]:
            os.lchown(os.path.join(dirpath, name), entry.pw_uid, entry.pw_gid)
    os.chown(path, entry.pw_uid, entry.pw_gid)


def copy_tree(entry: pwd.struct_passwd) -> Path:
    """A fresh copy of the tree in the user's home, owned by the user."""
    dest = Path(entry.pw_dir) / "tree"
    shutil.rmtree(dest, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    for name in PARTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, dest / name, ignore=ignore, symlinks=True)
    for name in FILES:
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, dest / name)
    (Path(entry.pw_dir) / "tmp").mkdir(exist_ok=True)
    _chown_tree(Path(entry.pw_dir), entry)
    return dest


def venv_in_home(entry: pwd.struct_passwd) -> Path:
    """A virtual environment of Debian's Python under the user's 0700 home."""
    venv = Path(entry.pw_dir) / "venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run(["/usr/bin/python3", "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "-r",
                str(ROOT / "requirements-dev.txt"),
            ],
            check=True,
        )
    _chown_tree(venv, entry)
    return python


def run_as_user(
    python: str,
    args: list[str],
    *,
    timeout: float = 3600,
    capture: bool = True,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run ``python -m pytest args`` as the test user in a copy of the tree.

    ``env`` adds variables to the small environment the run gets.
    """
    if os.geteuid() != 0:
        raise PermissionError("only root can switch to the test user")
    entry = ensure_user()
    tree = copy_tree(entry)
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": entry.pw_dir,
        "TMPDIR": str(Path(entry.pw_dir) / "tmp"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(tree),
        "TF_USE_LEGACY_KERAS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        **(env or {}),
    }
    command = [
        "setpriv",
        f"--reuid={entry.pw_uid}",
        f"--regid={entry.pw_gid}",
        "--init-groups",
        "--",
        python,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:warnings",
        *args,
    ]
    return subprocess.run(
        command,
        cwd=tree,
        env=env,
        capture_output=capture,
        text=True,
        timeout=timeout,
        check=False,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", help="interpreter the test user can run")
    parser.add_argument(
        "--venv-in-home",
        action="store_true",
        help="make and use a virtual environment under the user's 0700 home",
    )
    parser.add_argument("pytest_args", nargs="*", help="arguments of pytest")
    args = parser.parse_args()
    if args.venv_in_home:
        python = str(venv_in_home(ensure_user()))
    elif args.python:
        python = args.python
    else:
        parser.error("give --python or --venv-in-home")
    result = run_as_user(python, args.pytest_args, capture=False)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
