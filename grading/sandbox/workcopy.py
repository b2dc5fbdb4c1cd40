"""The working copy of a submission: what the child runs and may change.

:func:`make_working_copy` copies a submission for running its code, leaving out
the git folder, build output, virtual environments, caches, files over
:data:`MAX_COPY_FILE_BYTES` and symbolic links that leave the submission.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from grading.pipeline.findings import Finding
from grading.sandbox.isolation import grant_access
from grading.util.text import cap

#: Files larger than this are not copied into the working copy.
MAX_COPY_FILE_BYTES = 50 * 1024 * 1024
#: Directory names never copied into the working copy.
SKIP_DIRS = frozenset(
    {
        ".git",
        "build",
        ".venv",
        "venv",
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".ipynb_checkpoints",
        "node_modules",
    }
)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def make_working_copy(
    submission: Path, dest: Path, *, max_file_bytes: int = MAX_COPY_FILE_BYTES
) -> list[Finding]:
    """Copy a submission into ``dest`` for running its code.

    Skips ``.git``, ``build/``, virtual environments and caches
    (:data:`SKIP_DIRS`) and files over ``max_file_bytes``. Symbolic links are
    never followed out of the submission: a link to a file inside it is copied
    as a regular file, anything else is dropped with a finding. Unreadable
    files and special files (sockets, FIFOs, devices) are dropped with a
    finding; nothing here raises because of the submission's content. When the
    grader runs as root, the copy is handed to :data:`SANDBOX_USER` so the
    child can write in it.

    Parameters
    ----------
    submission : Path
        The student's repository (read only).
    dest : Path
        Target folder; created, must not exist or be empty.
    max_file_bytes : int, optional
        Larger files are left out (trained models, datasets).

    Returns
    -------
    list of Finding
        One per skipped entry (``item=""``, informational, instructor view
        for the details).
    """
    submission = Path(submission).resolve()
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    findings: list[Finding] = []

    def note(code: str, rel: str, message: str, audience: str = "instructor") -> None:
        findings.append(
            Finding(
                check="sandbox.working_copy",
                item="",
                passed=None,
                message=cap(message, 600),
                evidence=cap(rel, 4000),
                code=code,
                audience=audience,  # type: ignore[arg-type]
            )
        )

    skipped_large: list[str] = []
    for root, dirs, files in os.walk(
        submission,
        topdown=True,
        followlinks=False,
        onerror=lambda exc: note(
            "unreadable",
            _rel(Path(exc.filename or ""), submission),
            f"Could not read a folder of the submission: {exc.strerror}.",
        ),
    ):
        root_path = Path(root)
        rel_root = root_path.relative_to(submission)
        kept_dirs = []
        for name in sorted(dirs):
            src = root_path / name
            rel = (rel_root / name).as_posix()
            if name in SKIP_DIRS:
                continue
            if src.is_symlink():
                _copy_link(src, dest / rel, submission, rel, note)
                continue
            (dest / rel).mkdir(exist_ok=True)
            kept_dirs.append(name)
        dirs[:] = kept_dirs
        for name in sorted(files):
            rel = (rel_root / name).as_posix()
            big = _copy_file(
                root_path / name, dest / rel, submission, rel, note, max_file_bytes
            )
            if big:
                skipped_large.append(big)
    if skipped_large:
        note(
            "large_file",
            "\n".join(skipped_large[:100]),
            f"{len(skipped_large)} file(s) over {max_file_bytes // 10**6} MB were not "
            "copied for the tests (models and data sets are built by the tests "
            "themselves).",
            audience="student",
        )
    grant_access(dest)
    return findings


def _copy_file(src, target, submission, rel, note, max_file_bytes) -> str:
    """Copy one file of the submission; return a line when it is too large."""
    shown = cap(rel, 200)
    if src.is_symlink():
        _copy_link(src, target, submission, rel, note)
        return ""
    try:
        info = src.lstat()
    except OSError as exc:
        note("unreadable", rel, f"Could not read {shown}: {exc.strerror}.")
        return ""
    if not stat.S_ISREG(info.st_mode):
        note("special_file", rel, f"{shown} is not a regular file; left out.")
        return ""
    if info.st_size > max_file_bytes:
        return f"{shown} ({info.st_size / 1e6:.1f} MB)"
    try:
        shutil.copyfile(src, target, follow_symlinks=False)
    except OSError as exc:
        note("unreadable", rel, f"Could not copy {shown}: {exc.strerror}.")
    return ""


def _copy_link(src: Path, target: Path, submission: Path, rel: str, note) -> None:
    """Copy a symlink's target if it stays inside the submission."""
    try:
        real = src.resolve(strict=True)
    except (OSError, RuntimeError):
        note(
            "broken_symlink",
            rel,
            f"{cap(rel, 200)} is a broken or looping symbolic link; left out.",
        )
        return
    if real != submission and submission not in real.parents:
        note(
            "symlink_outside",
            rel,
            f"{cap(rel, 200)} is a symbolic link that points outside "
            "the submission; it was left out of the working copy.",
            "student",
        )
        return
    try:
        if real.is_dir():
            shutil.copytree(
                real,
                target,
                symlinks=True,
                ignore=shutil.ignore_patterns(*SKIP_DIRS),
                dirs_exist_ok=True,
            )
            # Links inside the copied folder are dropped, not followed.
            for inner in sorted(target.rglob("*")):
                if inner.is_symlink():
                    inner.unlink()
        elif real.is_file():
            shutil.copyfile(real, target)
    except OSError as exc:
        note("unreadable", rel, f"Could not copy {cap(rel, 200)}: {exc.strerror}.")


def copy_out(
    src: Path, dest: Path, *, max_file_bytes: int, max_total_bytes: int
) -> list[str]:
    """Copy what a sandboxed run wrote, after the run, for the grader to read.

    Only regular files and folders are copied; a symbolic link, a device or a
    FIFO is left out and never followed (every open uses ``O_NOFOLLOW``), as
    is a file over ``max_file_bytes`` and whatever would take the copy over
    ``max_total_bytes``.

    Returns
    -------
    list of str
        One line per entry left out (relative path and why).
    """
    src, dest = Path(src), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    skipped: list[str] = []
    total = 0

    def walk(folder: Path, rel: str) -> None:
        nonlocal total
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            skipped.append(f"{rel or '.'}: unreadable ({exc.strerror})")
            return
        for entry in entries:
            name = f"{rel}/{entry.name}" if rel else entry.name
            if entry.is_dir(follow_symlinks=False):
                (dest / name).mkdir(exist_ok=True)
                walk(Path(entry.path), name)
                continue
            if not entry.is_file(follow_symlinks=False):
                skipped.append(f"{name}: not a regular file")
                continue
            size = entry.stat(follow_symlinks=False).st_size
            if size > max_file_bytes or total + size > max_total_bytes:
                skipped.append(f"{name}: too large ({size} bytes)")
                continue
            if _copy_regular(Path(entry.path), dest / name, max_file_bytes):
                total += size
            else:
                skipped.append(f"{name}: could not be copied")

    walk(src, "")
    return skipped


def _copy_regular(src: Path, target: Path, limit: int) -> bool:
    """Copy one regular file without following a link (at most ``limit`` bytes)."""
    try:
        fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        with os.fdopen(fd, "rb", closefd=False) as source, open(target, "xb") as out:
            copied = 0
            while chunk := source.read(1 << 20):
                copied += len(chunk)
                if copied > limit:
                    break
                out.write(chunk)
        if copied > limit:
            target.unlink(missing_ok=True)
            return False
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
