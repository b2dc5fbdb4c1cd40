"""Tell which template version a submission started from.

In order of trust:

1. ``record``: the submission holds ``.course/template.json``, the record our
   released template carries: it is our own template;
2. ``history``: its git history contains version commits of the original
   course (a fork keeps them): the newest one of the lab is the version;
3. ``tree``: a root commit has the tree of a version (GitHub's "use this
   template" makes a new first commit with the same files): the lab's newest
   version at or before it;
4. ``files``: without either, the lab's files are compared with every
   version's: blob ids of the lab folder's files over each version's span,
   and fingerprints of the experiment module's functions. The versions with
   the most matches are the candidates; when several remain they cannot be
   told apart, and only what every candidate asks is graded;
5. ``unknown``: nothing matched; every version of the lab is a candidate.

The result is an :class:`Identification`; :meth:`Identification.finding`
states it for the student and the instructor, and its ``data`` carries
``asks``, which scoring reads (:mod:`grading.pipeline.scoring`). Nothing here
runs the submission's code; git runs through :func:`grading.util.git.run_git`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grading.pipeline.findings import Finding
from grading.util.git import GitError, git_blob_sha, run_git
from grading.util.paths import REPO_ROOT
from grading.versions import (
    TemplateVersion,
    ask_description,
    load_versions,
    version,
    versions_of,
)
from grading.versions.fingerprint import module_facts

#: The record our released template carries (see grading/history/base.py).
RECORD_PATH = ".course/template.json"
#: Finding code of the identification; scoring looks for it.
CODE = "template_version"
#: Files larger than this are not hashed (a lab folder holds small files).
MAX_FILE_BYTES = 2_000_000
_SKIP_PARTS = ("__pycache__", ".ipynb_checkpoints")


@dataclass
class Identification:
    """Which version a submission started from, and why.

    Parameters
    ----------
    lab : str
        The lab graded.
    version : str
        Id of the version graded against (the newest candidate); ``""`` when
        the lab has no versions at all.
    candidates : tuple of str
        Every version that fits equally well (one when it is certain).
    method : str
        ``record``, ``history``, ``tree``, ``files`` or ``unknown``.
    evidence : list of str
        What was found, one line each.
    asks : tuple of str or None
        What every candidate's README asks (the words of ``[asks]``); None
        when the lab has no versions (then every requirement counts).
    """

    lab: str
    version: str
    candidates: tuple[str, ...]
    method: str
    evidence: list[str] = field(default_factory=list)
    asks: tuple[str, ...] | None = ()

    @property
    def template(self) -> TemplateVersion | None:
        """The chosen :class:`TemplateVersion`, or None."""
        return version(self.version) if self.version else None

    @property
    def certain(self) -> bool:
        """True when exactly one version fits."""
        return len(self.candidates) == 1

    def facts(self) -> dict[str, Any]:
        """The chosen version's facts about the lab (``{}`` for our own)."""
        chosen = self.template
        if chosen is None or chosen.is_ours:
            return {}
        return chosen.lab(self.lab)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (the ``data`` of the finding)."""
        return {
            "lab": self.lab,
            "version": self.version,
            "candidates": list(self.candidates),
            "method": self.method,
            "asks": None if self.asks is None else list(self.asks),
            "evidence": list(self.evidence),
        }

    def finding(self, graded: Iterable[str] | None = None) -> Finding:
        """One student-view finding that names the version and what it asks.

        Parameters
        ----------
        graded : iterable of str, optional
            The requirements the rubric conditions on (``requires``); the
            message says which of them this version asks and which it does
            not. All of ``asks`` when omitted.
        """
        chosen = self.template
        label = chosen.label if chosen else "an unknown template"
        how = {
            "record": "the template record .course/template.json is in your repository",
            "history": "its commit is in your repository's history",
            "tree": "your first commit has its files",
            "files": "your files match it",
            "unknown": "no version matched your files or history",
        }[self.method]
        if not self.candidates:
            message = "This lab has no recorded template versions."
        elif self.certain:
            message = f"Graded against the template you started from: {label} ({how})."
        else:
            names = ", ".join(self.candidates)
            message = (
                f"Your repository fits several template versions ({names}); "
                f"{how}, and they cannot be told apart without more history, "
                "so only what every one of them asks is graded."
            )
        asks = self.asks or ()
        relevant = list(asks) if graded is None else sorted(set(graded))
        asked = [a for a in relevant if a in asks or self.asks is None]
        not_asked = [a for a in relevant if a not in asks and self.asks is not None]
        if asked:
            wanted = "; ".join(ask_description(a) for a in asked)
            message += f" Its README asks you to {wanted}."
        if not_asked:
            skipped = "; ".join(ask_description(a) for a in not_asked)
            message += f" It does not ask you to {skipped}, so that is not graded."
        return Finding(
            check="template.version",
            item="",
            passed=None,
            message=message,
            evidence="\n".join(self.evidence),
            code=CODE,
            data=self.to_dict(),
        )


# ----------------------------------------------------------------- helpers


def _git_lines(submission: Path, args: list[str]) -> list[str]:
    try:
        return run_git(args, cwd=submission, timeout=120).split()
    except GitError:
        return []


def _is_repository(submission: Path) -> bool:
    return (submission / ".git").exists()


def _from_history(
    submission: Path, lab: str
) -> tuple[TemplateVersion | None, str, list[str]]:
    """The newest version of ``lab`` in the history, or one a root tree matches."""
    if not _is_repository(submission):
        return None, "", []
    ordered = [v for v in load_versions() if not v.is_ours]
    commits = set(_git_lines(submission, ["rev-list", "HEAD"]))
    if commits:
        contained = [v for v in ordered if v.lab(lab) and v.commit in commits]
        if contained:
            newest = contained[-1]
            return (
                newest,
                "history",
                [f"{newest.repository} commit {newest.commit[:10]} is in the history"],
            )
    trees = {}
    for root in _git_lines(submission, ["rev-list", "--max-parents=0", "HEAD"]):
        tree = _git_lines(submission, ["rev-parse", f"{root}^{{tree}}"])
        if tree:
            trees[tree[0]] = root
    for index, candidate in reversed(list(enumerate(ordered))):
        if candidate.tree and candidate.tree in trees:
            earlier = [v for v in ordered[: index + 1] if v.lab(lab)]
            if earlier:
                root = trees[candidate.tree]
                return (
                    earlier[-1],
                    "tree",
                    [
                        f"the first commit {root[:10]} has the tree of "
                        f"{candidate.repository} at {candidate.commit[:7]}"
                    ],
                )
    return None, "", []


def _blobs(root: Path, folder: str) -> dict[str, str]:
    """``path -> blob id`` of the files under ``root/folder``."""
    base = root / folder
    found: dict[str, str] = {}
    if not base.is_dir() or base.is_symlink():
        return found
    for path in sorted(base.rglob("*")):
        if any(part in _SKIP_PARTS for part in path.parts) or path.is_symlink():
            continue
        try:
            if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
                continue
            found[path.relative_to(root).as_posix()] = git_blob_sha(path.read_bytes())
        except OSError:
            continue
    return found


def _module_fingerprints(root: Path, module: str) -> dict[str, str]:
    path = root / module
    try:
        if path.is_symlink() or path.stat().st_size > MAX_FILE_BYTES:
            return {}
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    facts = module_facts(source)
    if facts is None:
        return {}
    return {name: f.fingerprint for name, f in facts.functions.items()}


def ours_facts(lab: str, module: str) -> dict[str, Any]:
    """Facts of our own template of ``lab``, read from this repository."""
    folder = str(Path(module).parent)
    return {
        "files": {path: [blob] for path, blob in _blobs(REPO_ROOT, folder).items()},
        "functions": {
            name: {"fingerprint": fp}
            for name, fp in _module_fingerprints(REPO_ROOT, module).items()
        },
    }


def _matches(
    facts: dict[str, Any], blobs: dict[str, str], functions: dict[str, str]
) -> tuple[list[str], list[str]]:
    files = facts.get("files") or {}
    same_files = [p for p, ids in files.items() if blobs.get(p) in (ids or [])]
    recorded = facts.get("functions") or {}
    same_functions = [
        name
        for name, entry in recorded.items()
        if isinstance(entry, dict) and functions.get(name) == entry.get("fingerprint")
    ]
    return sorted(same_files), sorted(same_functions)


def _from_files(
    submission: Path, lab: str, module: str
) -> tuple[list[TemplateVersion], list[str]]:
    """The versions whose files and functions the submission matches best."""
    folder = str(Path(module).parent)
    blobs = _blobs(submission, folder)
    functions = _module_fingerprints(submission, module)
    best: list[TemplateVersion] = []
    best_score, best_lines = 0, []
    for candidate in versions_of(lab):
        facts = ours_facts(lab, module) if candidate.is_ours else candidate.lab(lab)
        files, same = _matches(facts, blobs, functions)
        score = len(files) + len(same)
        if score == 0 or score < best_score:
            continue
        lines = [f"{Path(p).name} is the file of this version" for p in files]
        if same:
            lines.append(
                f"{len(same)} of {len(facts.get('functions') or {})} functions of "
                f"{Path(module).name} as in this version: {', '.join(same)}"
            )
        if score > best_score:
            best, best_score, best_lines = [candidate], score, lines
        else:
            best.append(candidate)
    return best, best_lines


def _common_asks(candidates: list[TemplateVersion], lab: str) -> tuple[str, ...]:
    if not candidates:
        return ()
    common = set(candidates[0].asks(lab))
    for candidate in candidates[1:]:
        common &= set(candidate.asks(lab))
    return tuple(a for a in candidates[0].asks(lab) if a in common)


# --------------------------------------------------------------------- API


def identify(submission: Path, lab: str, module: str) -> Identification:
    """Identify the template version of ``submission`` for ``lab``.

    Parameters
    ----------
    submission : Path
        The student's repository (read only).
    lab : str
        Lab id; its versions are the ``[versions.labs.<lab>]`` tables.
    module : str
        The lab's experiment module (the rubric's ``student_module``).

    Returns
    -------
    Identification
    """
    submission = Path(submission)
    known = list(versions_of(lab))
    if not known:
        return Identification(
            lab, "", (), "unknown", ["the lab has no template versions"], None
        )
    ours = next((v for v in known if v.is_ours), None)
    if ours is not None and (submission / RECORD_PATH).is_file():
        return Identification(
            lab,
            ours.id,
            (ours.id,),
            "record",
            [f"{RECORD_PATH} is present"],
            ours.asks(lab),
        )
    chosen, method, evidence = _from_history(submission, lab)
    if chosen is not None:
        return Identification(
            lab, chosen.id, (chosen.id,), method, evidence, chosen.asks(lab)
        )
    candidates, evidence = _from_files(submission, lab, module)
    method = "files"
    if not candidates:
        candidates, method = known, "unknown"
        evidence = ["no file or function of the lab matches any version"]
    newest = candidates[-1]
    return Identification(
        lab,
        newest.id,
        tuple(c.id for c in candidates),
        method,
        evidence,
        _common_asks(candidates, lab),
    )


def identify_for(ctx: Any) -> Identification:
    """The identification of a check context, made once and kept on it.

    The engine sets ``ctx.template``; a check run on its own (tests, the
    ``lab`` verb) computes it here from ``ctx.submission`` and ``ctx.rubric``.
    """
    found = getattr(ctx, "template", None)
    if isinstance(found, Identification):
        return found
    found = identify(ctx.submission, ctx.rubric.lab, ctx.rubric.student_module)
    try:
        ctx.template = found
    except AttributeError:
        pass
    return found
