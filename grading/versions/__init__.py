"""The template versions a submission may start from (``templates.toml``).

Facts about the original course and our own template, as data: which
commit and tree each version is, which commit-message convention applies
to the student's commits after it, and, per lab, what that version's README
asks, the fingerprints of its experiment module and the blob ids of its
files. The history check uses them to find where the student's own commits
start; :mod:`grading.versions.identify` tells which version a submission
started from; the sandbox keeps the template functions of that version
(:mod:`grading.sandbox.protected`); scoring counts a requirement only where
the version asked it (:mod:`grading.pipeline.scoring`).
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VERSIONS_DIR = Path(__file__).resolve().parent
TEMPLATES_FILE = VERSIONS_DIR / "templates.toml"
HISTORY_DIR = VERSIONS_DIR / "course_history"


class VersionsError(ValueError):
    """``templates.toml`` is malformed; the message names the entry."""


@dataclass(frozen=True)
class TemplateVersion:
    """One template version (see ``templates.toml`` for the fields).

    Parameters
    ----------
    id : str
        Stable id (``"ours"``, ``"antmicro-2021-11"``).
    repository : str
        ``owner/name`` of the course repository, ``""`` for our own template.
    commit, tree : str
        Full commit and tree ids of the version (``""`` for our own).
    date : str
        ISO date of the commit.
    history : str
        Id of the commit-message convention for the student's commits.
    commits : str
        File under ``course_history/`` listing every commit of the course
        repository.
    labs : dict
        Per-lab facts of this version by lab id (``asks``, ``module``,
        ``module_fingerprints``, ``names``, ``files``, ``functions``; see
        ``templates.toml``). A version without a lab's table is not a
        version of that lab.
    """

    id: str
    repository: str = ""
    commit: str = ""
    tree: str = ""
    date: str = ""
    history: str = "ours"
    commits: str = ""
    labs: dict[str, Any] = field(default_factory=dict)

    @property
    def is_ours(self) -> bool:
        """True for our own released template."""
        return not self.repository

    def lab(self, lab: str) -> dict[str, Any]:
        """Return this version's facts about ``lab`` (``{}`` when none)."""
        value = self.labs.get(lab)
        return dict(value) if isinstance(value, dict) else {}

    def asks(self, lab: str) -> tuple[str, ...]:
        """What this version's README of ``lab`` asks (words of ``[asks]``)."""
        value = self.lab(lab).get("asks", [])
        return tuple(str(v) for v in value) if isinstance(value, list) else ()

    @property
    def label(self) -> str:
        """How findings name the version (``antmicro/... at 607d40e (date)``)."""
        if self.is_ours:
            return "the course's own template"
        return f"{self.repository} at {self.commit[:7]} ({self.date})"


@functools.cache
def _load(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise VersionsError(f"{path}: {exc}") from exc


@functools.cache
def load_versions(path: Path = TEMPLATES_FILE) -> tuple[TemplateVersion, ...]:
    """Return every template version of ``templates.toml`` in file order.

    Our own template comes first, then the original course's versions from
    the oldest to the newest (the order identification relies on).

    Raises
    ------
    VersionsError
        When the file is not TOML or an entry lacks an ``id``.
    """
    data = _load(Path(path))
    versions = []
    for entry in data.get("versions", []):
        if not isinstance(entry, dict) or not entry.get("id"):
            raise VersionsError(f"{path}: a [[versions]] entry lacks an id")
        known = {
            k: entry[k] for k in TemplateVersion.__dataclass_fields__ if k in entry
        }
        versions.append(TemplateVersion(**known))
    return tuple(versions)


def version(version_id: str) -> TemplateVersion | None:
    """Return the version with id ``version_id``, or None."""
    return next((v for v in load_versions() if v.id == version_id), None)


def versions_of(lab: str) -> tuple[TemplateVersion, ...]:
    """Return the versions of ``lab`` (those with a ``labs.<lab>`` table)."""
    return tuple(v for v in load_versions() if v.lab(lab))


def course_modules(lab: str, path: Path = TEMPLATES_FILE) -> tuple[str, ...]:
    """Python modules the course has students of ``lab`` use (``[uses]``)."""
    table = _load(Path(path)).get("uses", {})
    value = table.get(lab) if isinstance(table, dict) else None
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def ask_description(word: str, path: Path = TEMPLATES_FILE) -> str:
    """Return what the ``asks`` word means (``[asks]``), or the word itself."""
    table = _load(Path(path)).get("asks", {})
    value = table.get(word) if isinstance(table, dict) else None
    return str(value) if value else word.replace("_", " ")


@functools.cache
def course_commits(name: str) -> frozenset[str]:
    """Return the commit ids listed in ``course_history/<name>`` (empty if none)."""
    if not name:
        return frozenset()
    try:
        text = (HISTORY_DIR / name).read_text(encoding="utf-8")
    except OSError:
        return frozenset()
    return frozenset(
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )
