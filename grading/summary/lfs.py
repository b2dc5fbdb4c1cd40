"""Judge model files that a summary must commit with Git LFS.

A file counts as committed with LFS when the repository's ``.gitattributes``
gives it ``filter=lfs`` and ``HEAD`` holds it as an LFS pointer; a pointer
that no pattern tracks earns half (a fresh clone would not fetch it, and the
next ``git add`` commits the file itself). A clone may hold the pointer
without the object (``git lfs`` not installed, or the objects not fetched).
This module never fetches (it writes nothing into a submission; a batch's
own clone gets the objects where ``git lfs`` and the network allow, see
:mod:`grading.private.cohort.clone`); it checks the object where the clone
has it (the
checked-out file, or ``.git/lfs/objects``): its sha256 and size must be the
pointer's. The message says which was done: object checked, object absent
(judged from the pointer), or object not matching its pointer.
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grading.util.git import GitError, run_git

POINTER_HEAD = b"version https://git-lfs.github.com/spec/v1"


@dataclass(frozen=True)
class LfsJudgement:
    """How the model files of one kind are committed.

    Parameters
    ----------
    score : float
        1 for a file tracked by LFS and committed as a pointer, 0.5 for one
        committed without LFS (or tracked but not committed), 0 for none.
    code : str
        ``""``, ``missing``, ``not_lfs`` or ``not_committed``.
    message : str
        What was found, for the student.
    files : list of str
        The files of this kind, relative to the repository.
    size : int or None
        The model's size in bytes (from the pointer when it is one).
    object : str
        For a pointer, what :func:`object_state` found (``checked``,
        ``absent``, ``mismatch``); ``""`` otherwise.
    """

    score: float
    code: str
    message: str
    files: list[str] = field(default_factory=list)
    size: int | None = None
    object: str = ""

    def to_dict(self) -> dict:
        """Return the judgement as plain JSON data."""
        return asdict(self)


def parse_pointer(data: bytes) -> dict[str, str] | None:
    """Return the fields of an LFS pointer file, or None when it is not one."""
    if not data.startswith(POINTER_HEAD) or len(data) > 1024:
        return None
    fields = {}
    for line in data.decode("utf-8", errors="replace").splitlines():
        key, _, value = line.partition(" ")
        fields[key] = value.strip()
    return fields if "oid" in fields and "size" in fields else None


def lfs_patterns(root: Path) -> list[str]:
    """Patterns of ``.gitattributes`` files (root and sub-folders) with filter=lfs."""
    patterns = []
    for attributes in sorted(root.rglob(".gitattributes"))[:20]:
        if ".git" in attributes.relative_to(root).parts[:-1]:
            continue
        base = attributes.parent.relative_to(root).as_posix()
        try:
            text = attributes.read_text(encoding="utf-8", errors="replace")[:100_000]
        except OSError:
            continue
        for line in text.splitlines():
            parts = line.split()
            if len(parts) >= 2 and "filter=lfs" in parts[1:]:
                pattern = parts[0]
                if base != "." and "/" not in pattern.strip("/"):
                    pattern = f"{base}/**/{pattern}"
                patterns.append(pattern)
    return patterns


def _matches(rel: str, patterns: list[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    for pattern in patterns:
        bare = pattern.lstrip("/")
        if "/" not in bare and fnmatch.fnmatch(name, bare):
            return True
        if fnmatch.fnmatch(rel, bare) or fnmatch.fnmatch(rel, bare.replace("**/", "")):
            return True
    return False


def _committed(root: Path, rel: str) -> bytes | None:
    """The first bytes of ``rel`` as committed in HEAD (None when not committed)."""
    try:
        size = int(run_git(["cat-file", "-s", f"HEAD:{rel}"], root, timeout=30))
        if size > 1024:
            return b"<binary>"
        text = run_git(["cat-file", "-p", f"HEAD:{rel}"], root, timeout=30)
        return (text + "\n").encode()
    except (GitError, ValueError):
        return None


def object_state(root: Path, path: Path, pointer: dict[str, str]) -> str:
    """Check the LFS object of ``pointer`` where the clone has it.

    Returns
    -------
    str
        ``checked`` (the checked-out file or the object in ``.git/lfs/objects``
        has the pointer's sha256 and size), ``absent`` or ``mismatch``.
    """
    oid = pointer.get("oid", "").removeprefix("sha256:")
    if len(oid) != 64 or not all(c in "0123456789abcdef" for c in oid):
        return "mismatch"
    stored = root / ".git/lfs/objects" / oid[:2] / oid[2:4] / oid
    candidates = [p for p in (path, stored) if p.is_file() and not p.is_symlink()]
    if path in candidates and parse_pointer(path.read_bytes()[:1025]) is not None:
        candidates.remove(path)
    if not candidates:
        return "absent"
    for candidate in candidates:
        if str(candidate.stat().st_size) != pointer.get("size"):
            continue
        digest = hashlib.sha256()
        with candidate.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() == oid:
            return "checked"
    return "mismatch"


WHERE = {
    "checked": "the LFS object in this clone was checked against its pointer",
    "absent": "judged from the LFS pointer; the object is not in this clone "
    "(not fetched)",
    "mismatch": "but the file in this clone does not match its LFS pointer",
}


def judge(root: Path, folder: str, extensions: list[str]) -> LfsJudgement:
    """Judge the model files with one of ``extensions`` under ``folder``.

    Returns
    -------
    LfsJudgement
        The score, message and files of the best-committed file of the kind.
    """
    base = root / folder
    files = sorted(
        p
        for p in (base.rglob("*") if base.is_dir() else [])
        if p.is_file() and p.suffix.lower() in extensions and ".git" not in p.parts
    )[:20]
    shown = "/".join(extensions)
    if not files:
        return LfsJudgement(
            score=0.0,
            code="missing",
            message=f"no {shown} file in {folder}/",
            files=[],
            size=None,
        )
    patterns = lfs_patterns(root)
    results = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        tracked = _matches(rel, patterns)
        head = _committed(root, rel)
        pointer = parse_pointer(head) if head else None
        with path.open("rb") as handle:
            local = parse_pointer(handle.read(1025))
        results.append((rel, tracked, head is not None, pointer, local))
    best = max(results, key=lambda r: (r[3] is not None, r[1], r[2]))
    rel, tracked, committed, pointer, local = best
    if pointer is not None:
        state = object_state(root, root / rel, pointer)
        message = f"{rel} is committed with Git LFS ({WHERE[state]})"
        score, code = 1.0, ""
        if not tracked:
            score, code = 0.5, "lfs_untracked"
            message = (
                f"{rel} is committed as an LFS pointer ({WHERE[state]}), but no "
                "filter=lfs pattern in .gitattributes matches it: run git lfs "
                "track for its extension and commit .gitattributes"
            )
        return LfsJudgement(
            score=score,
            code=code,
            message=message,
            files=[r[0] for r in results],
            size=int(pointer["size"]) if pointer["size"].isdigit() else None,
            object=state,
        )
    if committed:
        message = f"{rel} is committed, but as a regular file, not with Git LFS"
        if not tracked:
            message += " (no filter=lfs pattern in .gitattributes matches it)"
        else:
            message += " (it was added before `git lfs track`; re-add it)"
        return LfsJudgement(
            score=0.5,
            code="not_lfs",
            message=message,
            files=[r[0] for r in results],
            size=(root / rel).stat().st_size,
        )
    return LfsJudgement(
        score=0.5 if tracked else 0.0,
        code="not_committed",
        message=f"{rel} is in the folder but not committed"
        + (" (it is tracked by LFS in .gitattributes)" if tracked else ""),
        files=[r[0] for r in results],
        size=None,
    )
