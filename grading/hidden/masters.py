"""The hidden suite's inputs, built by the grader, never where student code runs.

A lab's suite needs inputs it makes with TensorFlow: for lab 03 a tiny data
set and the original model whose compressed variants the student's classes
produce ("masters"). If the student's process built them, its code could
choose the model the artifact checks compare against. So the grader builds
them before the student's run, in a sandboxed process with no student code
(the suite's own builder, ``[hidden_tests] masters = "module.function"`` of
the rubric, called with an empty folder), keeps them in a folder of its own
keyed by everything that shapes them, and gives the student's run and the
artifact checks that folder read-only.

The folder is shared between gradings (``GradeOptions.hidden_tests_cache``,
or :func:`default_root`): only the grader writes it, and a key names the
suite's files, the course package and the library versions. Without a
sandbox (``--unsafe-no-sandbox``) the student's code could write anywhere the
grader can, so the masters are then built per grading and not shared.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from grading.sandbox import Mount, run_sandboxed, sandbox_status

#: Libraries whose versions change what the builder makes.
VERSIONED = ("tensorflow", "tf-keras", "tensorflow-model-optimization", "numpy")
#: Wall-time and CPU-time limits of one build, seconds.
BUILD_TIMEOUT, BUILD_CPU = 600.0, 600.0
#: The file a finished build leaves.
DONE = "done"


#: How :func:`build`'s reason starts when the shared folder is not the grader's.
UNUSABLE = "the masters folder cannot be used"


def default_root() -> Path:
    """The grader's own folder of masters (one per user, not shared)."""
    return Path(tempfile.gettempdir()) / f"grading-masters-{os.geteuid()}"


def _hash_tree(digest, folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())


def key(tests: Path, course: Path) -> str:
    """Key of the masters: the suite, the course package, Python, libraries."""
    digest = hashlib.sha256(sys.version.encode())
    for name in VERSIONED:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=none".encode())
    _hash_tree(digest, tests)
    _hash_tree(digest, course)
    return digest.hexdigest()[:20]


def _own_folder(root: Path) -> Path:
    """``root``, made if needed; refused unless it is the grader's own folder."""
    root.mkdir(mode=0o755, parents=True, exist_ok=True)
    info = os.lstat(root)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise PermissionError(f"{root} is not a folder of the grader's user")
    if info.st_mode & 0o022:
        os.chmod(root, 0o755)
    return root


def _seal(folder: Path) -> None:
    """Make a finished build the grader's, read-only for everyone else."""
    uid, gid = os.geteuid(), os.getegid()
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in [*dirnames, *filenames]:
            path = os.path.join(dirpath, name)
            os.lchown(path, uid, gid)
            if not os.path.islink(path):
                os.chmod(path, 0o755 if os.path.isdir(path) else 0o644)
    os.chown(folder, uid, gid)
    os.chmod(folder, 0o755)


def build(
    builder: str,
    tests: Path,
    instructor_root: Path,
    root: Path,
    *,
    memory_mb: int,
    shared: bool = True,
) -> tuple[Path | None, str]:
    """Return the masters folder for ``tests``, building it if needed.

    Parameters
    ----------
    builder : str
        ``"module.function"`` of the suite (imported from ``tests``).
    tests : Path
        The grader's copy of the hidden tests.
    instructor_root : Path
        The repository whose ``dl_in_iot_course`` the builder may import.
    root : Path
        Folder of masters folders (shared between gradings when ``shared``).
    memory_mb : int
        Address-space limit of the build.
    shared : bool
        Reuse and keep the build under ``root``; else build into ``root``.

    Returns
    -------
    tuple
        ``(folder, "")``, or ``(None, reason)`` when the build failed.
    """
    course = instructor_root / "dl_in_iot_course"
    try:
        root = _own_folder(Path(root))
    except OSError as exc:
        return None, f"{UNUSABLE}: {exc}"
    folder = root / f"m-{key(tests, course)}" if shared else root / "masters"
    if (folder / DONE).is_file():
        return folder, ""
    module, _, function = builder.rpartition(".")
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    os.chmod(work, 0o755)
    code = (
        "import sys\nfrom pathlib import Path\n"
        f"from {module} import {function}\n{function}(Path(sys.argv[1]))\n"
    )
    try:
        result = run_sandboxed(
            [sys.executable, "-s", "-P", "-B", "-c", code, str(work)],
            work,
            timeout=BUILD_TIMEOUT,
            cpu_seconds=BUILD_CPU,
            memory_mb=memory_mb,
            pythonpath=[tests, instructor_root],
            mounts=[Mount(tests), Mount(course)],
            unsafe=not sandbox_status().available,
        )
        if not result.ok or not (work / DONE).is_file():
            tail = (result.stderr or result.stdout)[-1500:]
            return None, f"the build exited with {result.returncode}: {tail}"
        _seal(work)
        try:
            os.rename(work, folder)
        except OSError:  # another grading built it at the same time
            if not (folder / DONE).is_file():
                raise
        return folder, ""
    except OSError as exc:
        return None, f"the build could not run: {exc}"
    finally:
        shutil.rmtree(work, ignore_errors=True)
