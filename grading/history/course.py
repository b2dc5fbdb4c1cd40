"""The original course in a student's repository: which commits are the course's.

A fork of the original course (antmicro/dl-in-iot-course) carries the
course's whole history, then the student's commits. Every commit of the
original is listed in ``grading/versions/course_history/`` (by
:func:`grading.versions.course_commits`), so the course's commits are known
by id, wherever they are in the graph, and none of them is ever the
student's. The newest of them on the first-parent chain is the fork point
(the base); the newest template version it contains says which
commit-message convention applies (``history`` of the version).

A copy made with GitHub's "use this template" has no course history: its
first commit has a new id but the same tree as the version it copied
(``tree`` of the version).

Commits made after the fork point by the course's own authors (the authors
of the course commits found in the repository, by e-mail) are the course's
later work that the student merged in (``git pull upstream``), not the
student's: they are listed as ignored, and so is the student's merge that
brought them in, which records a sensible decision, not noise.
"""

from __future__ import annotations

from dataclasses import dataclass

from grading.history.gitdata import Commit
from grading.versions import TemplateVersion, course_commits, load_versions


@dataclass(frozen=True)
class Catalogue:
    """The template versions and every commit of the original course.

    Parameters
    ----------
    versions : tuple of TemplateVersion
        From ``grading/versions/templates.toml``.
    commits : frozenset of str
        Every commit id of the original course repositories.
    """

    versions: tuple[TemplateVersion, ...]
    commits: frozenset[str]

    @classmethod
    def load(cls) -> Catalogue:
        """Return the catalogue of ``grading/versions/``."""
        versions = load_versions()
        shas: set[str] = set()
        for v in versions:
            shas |= course_commits(v.commits)
        return cls(versions, frozenset(shas))

    def by_tree(self) -> dict[str, TemplateVersion]:
        """Versions of the original course by tree id."""
        return {v.tree: v for v in self.versions if v.tree and not v.is_ours}

    def ours(self) -> TemplateVersion | None:
        """Our own template's version entry."""
        return next((v for v in self.versions if v.is_ours), None)


@dataclass
class Origin:
    """What a repository holds of the original course.

    Parameters
    ----------
    fork : Commit
        The newest course commit on the first-parent chain (the base).
    present : set of str
        Every course commit in the repository.
    authors : set of str
        Lower-case e-mails of the authors of those commits.
    version : TemplateVersion or None
        The newest template version that the fork point contains.
    """

    fork: Commit
    present: set[str]
    authors: set[str]
    version: TemplateVersion | None


def course_origin(
    commits: list[Commit], chain: list[Commit], catalogue: Catalogue, reachable
) -> Origin | None:
    """Find the original course in ``commits`` (None when it is not there).

    Parameters
    ----------
    commits : list of Commit
        Every commit of the repository, children first.
    chain : list of Commit
        The first-parent chain from ``HEAD``.
    catalogue : Catalogue
        Versions and commits of the original course.
    reachable : callable
        ``reachable(sha) -> set`` of the commits reachable from ``sha``.
    """
    present = {c.sha for c in commits if c.sha in catalogue.commits}
    if not present:
        return None
    fork = next((c for c in chain if c.sha in present), None)
    if fork is None:
        fork = next(c for c in commits if c.sha in present)
    below = reachable(fork.sha)
    contained = [
        v
        for v in catalogue.versions
        if v.commit and not v.is_ours and v.commit in below
    ]
    version = max(contained, key=lambda v: v.date, default=None)
    authors = {c.email.strip().lower() for c in commits if c.sha in present}
    return Origin(fork, present, authors - {""}, version)


def template_copy(
    chain: list[Commit], catalogue: Catalogue
) -> tuple[Commit, TemplateVersion] | None:
    """Find the newest commit on ``chain`` whose tree is a course version's."""
    trees = catalogue.by_tree()
    for commit in chain:
        version = trees.get(commit.tree)
        if version is not None:
            return commit, version
    return None


def upstream_why(commit: Commit, origin: Origin, template: set[str]) -> str:
    """Return why ``commit`` is the course's later work, or ``""``.

    Parameters
    ----------
    commit : Commit
        A commit after the base that is not a listed course commit.
    origin : Origin
        The course found in the repository.
    template : set of str
        The commits already known to be the course's or the template's.
    """
    email = commit.email.strip().lower()
    if email in origin.authors:
        return (
            "made by an author of the original course after the fork point "
            "(the course's later work, merged in)"
        )
    if commit.is_merge and all(
        p in template or p in origin.present for p in commit.parents[1:]
    ):
        return "merges the original course's own updates into your work"
    return ""
