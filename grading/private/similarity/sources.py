"""Where the submissions of a class are, and how their files are read.

The similarity step reads what was graded: the commit ``batch`` recorded in
``OUT/<student>/submission.json`` (the deadline commit, or HEAD), straight
from the student's git objects, so the clone is never checked out or
changed. A folder that is not a repository is read as it is. Nothing is
followed outside a submission (symbolic links are skipped), and sizes and
file counts are capped: submissions are untrusted.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grading.util.git import GitError, run_git, run_git_bytes
from grading.util.globs import glob_regex

#: Files looked at per submission, at most (a repository with more is cut).
MAX_FILES = 20_000
#: Bytes and files of a summary folder written out for the reader, at most
#: (the smallest files first: the summary itself is small).
MAX_MATERIALIZED = 64_000_000
MAX_MATERIALIZED_FILES = 400
LFS_PREFIX = b"version https://git-lfs.github.com/spec/v1"


class SourceError(ValueError):
    """The input is not a grades folder or a folder of submissions."""


@dataclass(frozen=True)
class Entry:
    """One file of a snapshot: path, size in bytes, git blob id."""

    path: str
    size: int
    blob: str


@dataclass(frozen=True)
class SubmissionSource:
    """Where one student's graded files are.

    Parameters
    ----------
    student : str
        Student id (the folder name in the grades folder).
    path : str
        A local git repository or folder; ``""`` when unknown (a URL).
    commit : str
        The commit graded, ``""`` for the working folder.
    note : str
        Why the submission cannot be read, when ``path`` is empty.
    """

    student: str
    path: str
    commit: str = ""
    note: str = ""


def blob_id(data: bytes) -> str:
    """Return the git blob id of ``data`` (equal files have equal ids)."""
    from grading.private.packaging import git_blob_sha

    return git_blob_sha(data)


class Snapshot:
    """The files of one submission at the graded commit (read-only)."""

    def __init__(self, source: SubmissionSource) -> None:
        self.source = source
        self.root = Path(source.path)
        self.is_git = bool(source.commit)
        self.entries: dict[str, Entry] = {}
        self.problems: list[str] = []
        self._blobs: dict[str, bytes] = {}  # blobs read so far, by id
        if self.is_git:
            self._list_git()
        else:
            self._list_folder()

    # -- listing ------------------------------------------------------------

    def _git(self, args: list[str], stdin: bytes | None = None) -> bytes:
        return run_git_bytes(
            ["-C", str(self.root), *args],
            timeout=300,
            config={
                "safe.directory": str(self.root.resolve()),
                "core.quotepath": "off",
            },
            input=stdin,
        )

    def _list_git(self) -> None:
        try:
            listing = self._git(
                ["ls-tree", "-r", "-l", "-z", "--full-tree", self.source.commit]
            )
        except GitError as exc:
            self.problems.append(
                f"cannot list commit {self.source.commit[:12]} of {self.root}: "
                f"{(exc.stderr or str(exc))[:200]}"
            )
            return
        for record in listing.split(b"\0"):
            meta, _, raw_path = record.partition(b"\t")
            parts = meta.decode("ascii", "replace").split()
            if len(parts) < 4 or parts[1] != "blob" or parts[0] == "120000":
                continue
            if len(self.entries) >= MAX_FILES:
                self.problems.append(
                    f"more than {MAX_FILES} files; the rest is skipped"
                )
                break
            path = raw_path.decode("utf-8", "replace")
            size = int(parts[3]) if parts[3].isdigit() else 0
            self.entries[path] = Entry(path, size, parts[2])

    def _list_folder(self) -> None:
        root = self.root
        for folder, dirs, files in os.walk(root, followlinks=False):
            dirs[:] = sorted(d for d in dirs if d != ".git")
            for name in sorted(files):
                full = Path(folder) / name
                if full.is_symlink() or not full.is_file():
                    continue
                if len(self.entries) >= MAX_FILES:
                    self.problems.append(
                        f"more than {MAX_FILES} files; the rest is skipped"
                    )
                    return
                rel = full.relative_to(root).as_posix()
                self.entries[rel] = Entry(rel, full.stat().st_size, "")

    # -- reading ------------------------------------------------------------

    def matching(self, patterns: tuple[str, ...]) -> list[Entry]:
        """Return the entries whose path matches one of the glob ``patterns``."""
        regexes = [glob_regex(p) for p in patterns]
        return [e for p, e in self.entries.items() if any(r.match(p) for r in regexes)]

    def read_many(self, entries: list[Entry], cap: int) -> dict[str, bytes]:
        """Return the content of ``entries`` no larger than ``cap`` bytes."""
        small = [e for e in entries if e.size <= cap]
        if not small:
            return {}
        if not self.is_git:
            out = {}
            for entry in small:
                try:
                    out[entry.path] = (self.root / entry.path).read_bytes()[: cap + 1]
                except OSError as exc:
                    self.problems.append(f"cannot read {entry.path}: {exc.strerror}")
            return out
        missing = sorted({e.blob for e in small} - set(self._blobs))
        if missing:
            self._blobs.update(self._cat_file(missing))
        return {e.path: self._blobs[e.blob] for e in small if e.blob in self._blobs}

    def _cat_file(self, blobs: list[str]) -> dict[str, bytes]:
        """Read blobs with one ``git cat-file --batch`` call."""
        try:
            raw = self._git(
                ["cat-file", "--batch"], "".join(f"{b}\n" for b in blobs).encode()
            )
        except GitError:
            self.problems.append("cannot read blobs with git cat-file")
            return {}
        by_blob: dict[str, bytes] = {}
        pos = 0
        while pos < len(raw):
            end = raw.find(b"\n", pos)
            if end < 0:
                break
            header = raw[pos:end].decode("ascii", "replace").split()
            pos = end + 1
            if len(header) != 3 or not header[2].isdigit():
                continue
            size = int(header[2])
            by_blob[header[0]] = raw[pos : pos + size]
            pos += size + 1
        return by_blob

    def identity(self, entry: Entry, data: bytes | None = None) -> str:
        """Return a content id of ``entry``: its blob id, or an LFS object id."""
        if data is not None and data.startswith(LFS_PREFIX):
            for line in data.decode("utf-8", "replace").splitlines():
                if line.startswith("oid "):
                    return "lfs:" + line[4:].strip()
        if entry.blob:
            return entry.blob
        if data is not None:
            return blob_id(data)
        try:
            return blob_id((self.root / entry.path).read_bytes())
        except OSError:
            return ""

    def materialize(self, patterns: tuple[str, ...], cap: int) -> Path:
        """Write the matching files to a scratch folder and return it.

        Files larger than ``cap`` are left out, and so is what goes past
        :data:`MAX_MATERIALIZED` bytes or :data:`MAX_MATERIALIZED_FILES`
        files. A folder snapshot is returned as it is; the caller removes a
        scratch folder with :meth:`release`.
        """
        if not self.is_git:
            return self.root
        scratch = Path(tempfile.mkdtemp(prefix="similarity-"))
        chosen, total = [], 0
        for entry in sorted(self.matching(patterns), key=lambda e: e.size):
            if entry.size > cap or total + entry.size > MAX_MATERIALIZED:
                continue
            if len(chosen) >= MAX_MATERIALIZED_FILES:
                break
            chosen.append(entry)
            total += entry.size
        for path, data in self.read_many(chosen, cap).items():
            target = scratch / path
            if ".." in Path(path).parts or Path(path).is_absolute():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return scratch

    def release(self, folder: Path) -> None:
        """Remove a scratch folder made by :meth:`materialize`."""
        if folder != self.root:
            shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------------
# Finding the submissions
# ---------------------------------------------------------------------------


def _head(path: Path) -> str:
    try:
        return run_git(
            ["rev-parse", "--verify", "-q", "HEAD^{commit}"], path, timeout=60
        )
    except GitError:
        return ""


def _is_repository(path: Path) -> bool:
    return (path / ".git").exists() or (path / "HEAD").is_file()


def _from_path(student: str, path: Path, commit: str = "") -> SubmissionSource:
    if not path.is_dir():
        return SubmissionSource(student, "", note=f"{path} is not a folder")
    if _is_repository(path):
        commit = commit or _head(path)
        if not commit:
            return SubmissionSource(student, "", note=f"{path} has no commit")
    else:
        commit = ""
    return SubmissionSource(student, str(path), commit)


def is_grades_folder(path: Path) -> bool:
    """True if ``path`` holds a batch's results (plan or per-student results)."""
    if (path / "batch-plan.json").is_file():
        return True
    return any(
        (child / "submission.json").is_file() or (child / "results.json").is_file()
        for child in _children(path)
    )


def _children(path: Path) -> Iterator[Path]:
    for child in sorted(path.iterdir()):
        if child.is_dir() and not child.name.startswith(".") and child.name != "slurm":
            yield child


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def from_grades(grades: Path) -> list[SubmissionSource]:
    """Return the graded submissions of a batch folder.

    Each ``OUT/<student>/submission.json`` gives the source and the commit
    graded; ``batch-plan.json`` fills in students without one. A source that
    is a URL cannot be read here (the batch's clone is gone): it is listed
    with a note.
    """
    sources: dict[str, SubmissionSource] = {}
    plan = _read_json(grades / "batch-plan.json")
    planned = {
        str(s.get("student")): s
        for s in plan.get("submissions", [])
        if isinstance(s, dict) and s.get("student")
    }
    students = sorted(
        {c.name for c in _children(grades) if (c / "results.json").is_file()}
        | {c.name for c in _children(grades) if (c / "submission.json").is_file()}
        | set(planned)
    )
    for student in students:
        record = _read_json(grades / student / "submission.json") or planned.get(
            student, {}
        )
        source = str(record.get("source") or "")
        commit = str(record.get("commit") or "")
        if not source:
            sources[student] = SubmissionSource(student, "", note="no source recorded")
        elif "://" in source or (":" in source and "@" in source.split(":")[0]):
            sources[student] = SubmissionSource(
                student,
                "",
                note=f"the source {source} is a URL; run 'similarity' on a "
                "folder of clones to include it",
            )
        else:
            sources[student] = _from_path(student, Path(source), commit)
    return list(sources.values())


def from_clones(folder: Path) -> list[SubmissionSource]:
    """Return one submission per sub-folder (the folder name is the student)."""
    return [_from_path(child.name, child.resolve()) for child in _children(folder)]


def discover(path: Path) -> tuple[list[SubmissionSource], bool]:
    """Return the submissions under ``path`` and whether it is a grades folder.

    Raises
    ------
    SourceError
        When ``path`` is not a folder or holds no submission.
    """
    path = Path(path)
    if not path.is_dir():
        raise SourceError(
            f"{path} is not a folder; give the grades folder of a batch or a "
            "folder with one clone per student"
        )
    grades = is_grades_folder(path)
    sources = from_grades(path) if grades else from_clones(path)
    if not sources:
        raise SourceError(
            f"{path} has no submissions: no sub-folder with a clone, and no "
            "batch results (batch-plan.json, <student>/submission.json)"
        )
    return sources, grades
