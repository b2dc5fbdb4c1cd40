"""Read a repository's history with a handful of batched git calls.

Everything the history check needs comes from one ``git log`` call (headers,
messages, ``--raw`` blob ids and ``--numstat`` line counts, NUL-separated so
that non-ASCII paths and messages arrive unquoted), one ``git ls-tree`` of
``HEAD`` and one ``git cat-file --batch-check`` for blob sizes. Commands run
through GitPython's ``repo.git`` with options that keep an untrusted
repository's own configuration (external diff drivers, text conversion,
signature checks) from running anything.

The repository is untrusted input, so every read is bounded
(:mod:`grading.history.bounded`): commits, bytes of output, file changes,
bytes to diff and time per call all have limits, and anything over one is
refused with :class:`TooLarge` naming it.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import git

from grading.history.bounded import Limits, TooLarge, bounded_output, count_commits

NULL_SHA = "0" * 40
SUBMODULE_MODE = "160000"
_HEX = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_NUMSTAT = re.compile(r"^(\d+|-)\t(\d+|-)\t(.*)$", re.S)
# One header per commit: fields separated by NUL, message last.
_FORMAT = "%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%B"
_HEADER_FIELDS = 7
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
    tree: str = ""

    @property
    def subject(self) -> str:
        """First line of the message (raw: rules read the normalised text)."""
        end = self.message.find("\n")
        return (self.message if end < 0 else self.message[:end]).strip()

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


def open_repo(path: Path, limits: Limits | None = None) -> git.Repo:
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
    # quote paths, always show the root commit's diff, and never diff a file
    # larger than the limit (it counts as binary: no line counts).
    big = (limits or Limits()).diff_file_bytes
    repo.git.set_persistent_git_options(
        c=[
            f"safe.directory={Path(path).resolve()}",
            "core.quotepath=off",
            "log.showRoot=true",
            "log.showSignature=false",
            "diff.noprefix=false",
            f"core.bigFileThreshold={big}",
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


def read_log(
    repo: git.Repo, rev: str = "HEAD", limits: Limits | None = None
) -> list[Commit]:
    """Return every commit reachable from ``rev``, children before parents.

    Two bounded ``git log --topo-order -z`` calls: ``--raw`` (headers, trees,
    messages, blob ids; cheap, no file is diffed), then, once the work it
    implies is known to be within the limits, ``--numstat`` (line counts).
    Merges are diffed against their first parent, renames are split into
    delete + add.

    Raises
    ------
    TooLarge
        When the history has more commits than ``limits.max_commits``, more
        file changes than ``limits.max_changes``, more to diff than
        ``limits.max_diff_mb``, or a log over the byte or time limit.
    """
    limits = limits or Limits()
    count = count_commits(repo, rev, limits.max_commits)
    if count > limits.max_commits:
        raise TooLarge(
            "max_commits",
            f"the history has more than {limits.max_commits:,} commits, the most "
            "the grader reads (limit max_commits)",
        )
    common = [rev, "--topo-order", "-z", "--no-renames", "--no-ext-diff"]
    common += ["--no-textconv", "--no-color", "--diff-merges=first-parent"]
    raw = bounded_output(
        repo,
        "log",
        [*common, f"--format={_FORMAT}", "--raw", "--no-abbrev", "--"],
        limits,
        "the history's log",
    )
    commits = parse_log(raw)
    _check_diff_work(repo, commits, limits)
    stats = bounded_output(
        repo,
        "log",
        [*common, "--format=%x01%H", "--numstat", "--"],
        limits,
        "the history's line counts",
    )
    _apply_numstat(commits, stats)
    return commits


def _check_diff_work(repo: git.Repo, commits: list[Commit], limits: Limits) -> None:
    """Refuse histories whose line counts would cost too much to compute."""
    changes = [ch for c in commits for ch in c.changes if ch.new_mode != SUBMODULE_MODE]
    if len(changes) > limits.max_changes:
        raise TooLarge(
            "max_changes",
            f"the history changes files {len(changes):,} times, more than the "
            f"{limits.max_changes:,} the grader reads (limit max_changes)",
        )
    sizes = blob_sizes(repo, [s for ch in changes for s in (ch.old_sha, ch.new_sha)])
    small = limits.diff_file_bytes
    work = sum(
        size
        for ch in changes
        for size in (sizes.get(ch.old_sha, 0), sizes.get(ch.new_sha, 0))
        if size <= small
    )
    if work > limits.max_diff_bytes:
        raise TooLarge(
            "max_diff_mb",
            f"the history's changes hold {work / 1048576:.1f} MB of text to "
            f"compare, more than the {limits.max_diff_mb:g} MB the grader reads "
            "(limit max_diff_mb)",
        )


def _apply_numstat(commits: list[Commit], raw: bytes) -> None:
    """Set ``added``/``deleted`` of each change from ``--numstat -z`` output."""
    by_sha = {c.sha: {ch.path: ch for ch in c.changes} for c in commits}
    changes: dict[str, Change] = {}
    for token in raw.decode("utf-8", errors="replace").split("\0"):
        if token.startswith("\x01"):
            changes = by_sha.get(token[1:].strip(), {})
            continue
        m = _NUMSTAT.match(token.lstrip("\n"))
        change = changes.get(m.group(3)) if m else None
        if change is not None:
            change.added = None if m.group(1) == "-" else int(m.group(1))
            change.deleted = None if m.group(2) == "-" else int(m.group(2))


def parse_log(raw: bytes) -> list[Commit]:
    """Parse ``git log --format=... --raw [--numstat] -z`` output (for tests too)."""
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
        # A commit header: sha, tree, parents, author, email, date, message.
        fields = tokens[i : i + _HEADER_FIELDS]
        while len(fields) < _HEADER_FIELDS:
            fields.append("")
        sha = fields[0].strip()
        if not _HEX.match(sha):
            i += 1  # not parseable; skip rather than crash
            continue
        current = Commit(
            sha=sha,
            tree=fields[1].strip(),
            parents=fields[2].split(),
            author=fields[3],
            email=fields[4],
            date=fields[5],
            message=fields[6].rstrip("\n"),
        )
        commits.append(current)
        by_path = {}
        i += _HEADER_FIELDS
    return commits


def ls_tree(
    repo: git.Repo, rev: str = "HEAD", limits: Limits | None = None
) -> dict[str, TreeEntry]:
    """Return the files of ``rev`` by path, with blob sizes.

    Raises
    ------
    TooLarge
        When the listing is over the byte or time limit of ``limits``.
    """
    args = ["-r", "-l", "-z", "--full-tree", rev]
    raw = bounded_output(repo, "ls_tree", args, limits or Limits(), "the file list")
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


def read_blobs(
    repo: git.Repo, shas: list[str], max_size: int = 1024 * 1024
) -> dict[str, bytes]:
    """Return the content of the blobs of at most ``max_size`` bytes.

    Larger blobs are left out unread (sizes first with ``--batch-check``, then
    one ``cat-file --batch`` call for the rest), so a huge file committed
    where a small one is expected costs no memory.
    """
    sizes = blob_sizes(repo, shas)
    shas = sorted(s for s, size in sizes.items() if size <= max_size)
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
