"""Read a repository's history with a handful of batched git calls.

Everything the history check needs comes from one ``git log`` call (headers,
messages, ``--raw`` blob ids and ``--numstat`` line counts, NUL-separated so
that non-ASCII paths and messages arrive unquoted), one ``git ls-tree`` of
``HEAD`` and one ``git cat-file --batch-check`` for blob sizes. Commands run
through GitPython's ``repo.git`` with options that keep an untrusted
repository's own configuration (external diff drivers, text conversion,
signature checks) from running anything.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import git

NULL_SHA = "0" * 40
SUBMODULE_MODE = "160000"
_HEX = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_NUMSTAT = re.compile(r"^(\d+|-)\t(\d+|-)\t(.*)$", re.S)
# One header per commit: fields separated by NUL, message last.
_FORMAT = "%H%x00%P%x00%an%x00%ae%x00%aI%x00%B"
LFS_PREFIX = b"version https://git-lfs.github.com/spec/v1"


class NotARepository(Exception):
    """The folder is not the top of a git repository."""


@dataclass
class Change:
    """One path changed by a commit, relative to its first parent.

    Parameters
    ----------
    path : str
        Path in the repository, ``/``-separated.
    status : str
        ``A`` added, ``M`` modified, ``D`` deleted, ``T`` type change.
    old_sha, new_sha : str
        Blob ids before and after (all zeros when absent).
    new_mode : str
        Mode after the change (``160000`` for a submodule).
    added, deleted : int or None
        Changed lines, ``None`` for binary files.
    """

    path: str
    status: str
    old_sha: str
    new_sha: str
    new_mode: str
    added: int | None = None
    deleted: int | None = None


@dataclass
class Commit:
    """A commit as read from ``git log``."""

    sha: str
    parents: list[str]
    author: str
    email: str
    date: str
    message: str
    changes: list[Change] = field(default_factory=list)

    @property
    def subject(self) -> str:
        """First line of the message."""
        return self.message.split("\n", 1)[0].strip()

    @property
    def is_merge(self) -> bool:
        """True for commits with more than one parent."""
        return len(self.parents) > 1


@dataclass
class TreeEntry:
    """One entry of ``git ls-tree -r -l HEAD``."""

    path: str
    mode: str
    kind: str
    sha: str
    size: int | None


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def open_repo(path: Path) -> git.Repo:
    """Open the repository whose top folder is ``path``.

    Raises
    ------
    NotARepository
        If ``path`` has no ``.git`` (a folder inside another repository does
        not count: the grader must not judge the instructor's history).
    """
    try:
        repo = git.Repo(path, search_parent_directories=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise NotARepository(str(path)) from exc
    if repo.bare:
        raise NotARepository(str(path))
    # Read-only commands on someone else's clone: trust this one folder, never
    # quote paths, and always show the root commit's diff.
    repo.git.set_persistent_git_options(
        c=[
            f"safe.directory={Path(path).resolve()}",
            "core.quotepath=off",
            "log.showRoot=true",
            "log.showSignature=false",
            "diff.noprefix=false",
        ]
    )
    return repo


def head_info(repo: git.Repo) -> dict:
    """Return ``{"head", "branch", "shallow"}``; ``head`` is None if empty.

    One ``git rev-parse`` call; ``branch`` is None on a detached HEAD.
    """
    try:
        out = repo.git.rev_parse(
            "--is-shallow-repository", "HEAD", "--abbrev-ref", "HEAD"
        ).splitlines()
    except git.GitCommandError:
        return {"head": None, "branch": None, "shallow": False}
    shallow = bool(out) and out[0].strip() == "true"
    head = out[1].strip() if len(out) > 1 else None
    branch = out[2].strip() if len(out) > 2 else None
    return {
        "head": head,
        "branch": None if branch == "HEAD" else branch,
        "shallow": shallow,
    }


def resolve(repo: git.Repo, rev: str) -> str | None:
    """Return the full sha of commit ``rev``, or None if it does not exist."""
    try:
        return repo.git.rev_parse("--verify", "-q", f"{rev}^{{commit}}").strip()
    except git.GitCommandError:
        return None


def read_log(repo: git.Repo, rev: str = "HEAD") -> list[Commit]:
    """Return every commit reachable from ``rev``, children before parents.

    One ``git log --topo-order --raw --numstat -z`` call; merges are diffed
    against their first parent, renames are split into delete + add.
    """
    raw = repo.git.log(
        rev,
        "--topo-order",
        f"--format={_FORMAT}",
        "--raw",
        "--numstat",
        "-z",
        "--no-abbrev",
        "--no-renames",
        "--no-ext-diff",
        "--no-textconv",
        "--no-color",
        "--diff-merges=first-parent",
        "--",
        stdout_as_string=False,
    )
    return parse_log(raw)


def parse_log(raw: bytes) -> list[Commit]:
    """Parse the output of :func:`read_log` (exposed for tests)."""
    tokens = raw.decode("utf-8", errors="replace").split("\0")
    commits: list[Commit] = []
    by_path: dict[str, Change] = {}
    i, n = 0, len(tokens)
    current: Commit | None = None
    while i < n:
        tok = tokens[i]
        if tok.startswith("\n"):
            tok = tok[1:]
        if not tok:
            i += 1
            continue
        if tok[:1] == ":" and current is not None:
            meta = tok[1:].split(" ")
            path = tokens[i + 1] if i + 1 < n else ""
            if len(meta) >= 5:
                change = Change(
                    path=path,
                    status=meta[4][:1],
                    old_sha=meta[2],
                    new_sha=meta[3],
                    new_mode=meta[1],
                )
                current.changes.append(change)
                by_path[path] = change
            i += 2
            continue
        m = _NUMSTAT.match(tok) if current is not None else None
        if m:
            change = by_path.get(m.group(3))
            if change is not None:
                change.added = None if m.group(1) == "-" else int(m.group(1))
                change.deleted = None if m.group(2) == "-" else int(m.group(2))
            i += 1
            continue
        # A commit header: sha, parents, author, email, date, message.
        fields = tokens[i : i + 6]
        while len(fields) < 6:
            fields.append("")
        sha = fields[0].strip()
        if not _HEX.match(sha):
            i += 1  # not parseable; skip rather than crash
            continue
        current = Commit(
            sha=sha,
            parents=fields[1].split(),
            author=fields[2],
            email=fields[3],
            date=fields[4],
            message=fields[5].rstrip("\n"),
        )
        commits.append(current)
        by_path = {}
        i += 6
    return commits


def ls_tree(repo: git.Repo, rev: str = "HEAD") -> dict[str, TreeEntry]:
    """Return the files of ``rev`` by path, with blob sizes."""
    raw = repo.git.ls_tree("-r", "-l", "-z", "--full-tree", rev, stdout_as_string=False)
    entries: dict[str, TreeEntry] = {}
    for rec in raw.split(b"\0"):
        if not rec:
            continue
        meta, _, path = rec.partition(b"\t")
        parts = _decode(meta).split()
        if len(parts) < 4:
            continue
        size = int(parts[3]) if parts[3].isdigit() else None
        p = _decode(path)
        entries[p] = TreeEntry(
            path=p, mode=parts[0], kind=parts[1], sha=parts[2], size=size
        )
    return entries


def _batch(repo: git.Repo, option: str, shas: list[str]) -> bytes:
    """Run ``git cat-file <option>`` once with ``shas`` on stdin."""
    with tempfile.TemporaryFile() as stdin:
        stdin.write(("\n".join(shas) + "\n").encode())
        stdin.seek(0)
        return repo.git.cat_file(option, istream=stdin, stdout_as_string=False)


def blob_sizes(repo: git.Repo, shas: list[str]) -> dict[str, int]:
    """Return the size in bytes of each blob id (missing objects are left out)."""
    shas = sorted({s for s in shas if s and s != NULL_SHA})
    if not shas:
        return {}
    out = _batch(repo, "--batch-check=%(objectname) %(objecttype) %(objectsize)", shas)
    sizes: dict[str, int] = {}
    for line in _decode(out).splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "blob" and parts[2].isdigit():
            sizes[parts[0]] = int(parts[2])
    return sizes


def read_blobs(repo: git.Repo, shas: list[str]) -> dict[str, bytes]:
    """Return the content of small blobs (one ``cat-file --batch`` call)."""
    shas = sorted({s for s in shas if s and s != NULL_SHA})
    if not shas:
        return {}
    out = _batch(repo, "--batch", shas)
    blobs: dict[str, bytes] = {}
    pos = 0
    while pos < len(out):
        end = out.find(b"\n", pos)
        if end < 0:
            break
        header = _decode(out[pos:end]).split()
        pos = end + 1
        if len(header) != 3 or not header[2].isdigit():
            continue  # "<sha> missing"
        size = int(header[2])
        blobs[header[0]] = out[pos : pos + size]
        pos += size + 1
    return blobs


def is_lfs_pointer(content: bytes) -> bool:
    """True if ``content`` is a Git LFS pointer file."""
    return content.startswith(LFS_PREFIX)
