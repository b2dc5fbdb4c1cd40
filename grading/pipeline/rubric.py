"""The rubric as data: ``grading/labs/<lab>.toml`` read into typed objects.

A rubric lists items. Each item has an ``id``, a ``title``, ``points``, a
``kind`` (``auto`` or ``manual``), the ``readme`` anchor of its task, an
optional ``part`` (a group of items a course can turn on or off with
``[parts.<id>] enabled``, see :class:`Part`) and ``checks``: the finding
ids that feed it, with weights. An item or a check may name a ``requires``
word: what a template version's README must ask for it to count (``asks``
in ``grading/versions/templates.toml``); where the submission's version does
not ask it, scoring leaves it out. Besides the items a
rubric holds the lab's data that the checks read, as TOML tables
(``[summary]``, ``[history]``, ``[hidden_tests]``); :meth:`Rubric.section`
returns one. The top-level ``default = true`` of one rubric makes its lab the
one commands grade when not told one (:func:`default_lab`). How findings
become points is :mod:`grading.pipeline.scoring`. Nothing here is
lab-specific.
"""

from __future__ import annotations

import copy
import hashlib
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from grading.util.paths import LABS_DIR

Kind = Literal["auto", "manual"]


class RubricError(ValueError):
    """A rubric file is missing or malformed; the message names the file."""


@dataclass(frozen=True)
class CheckWeight:
    """One finding id that feeds an item, and its share of the item.

    Parameters
    ----------
    check : str
        A finding's ``check`` id (``"hidden.clustered_model.cluster_call"``).
    weight : float
        Relative weight among the item's checks.
    requires : str
        What the template version's README must ask for this check to count
        (a word of ``asks``; ``""``: always counts).
    """

    check: str
    weight: float = 1.0
    requires: str = ""


@dataclass(frozen=True)
class Item:
    """One rubric item: what it is worth and which findings decide it.

    Parameters
    ----------
    id, title : str
        Stable id (used by overrides and the gradebook) and the title shown.
    points : float
        Maximum points.
    kind : {"auto", "manual"}
        ``manual`` items wait for a person; their checks only suggest.
    readme : str
        The README anchor of the task, for hints.
    part : str
        Name of the part of the lab the item belongs to (``""``: the main
        part).
    checks : tuple of CheckWeight
        The findings that feed it.
    requires : str
        What the template version's README must ask for the item to be part
        of the grade (``""``: always).
    """

    id: str
    title: str
    points: float
    kind: Kind = "auto"
    readme: str = ""
    part: str = ""
    checks: tuple[CheckWeight, ...] = ()
    requires: str = ""

    def feeds_on(self, check: str) -> bool:
        """Return True when the finding id ``check`` feeds this item."""
        return any(entry.check == check for entry in self.checks)


@dataclass(frozen=True)
class Part:
    """A part of a lab that a course can turn on or off (``[parts.<id>]``).

    Parameters
    ----------
    id, title : str
        The id items name in their ``part`` (``"main"`` stands for items
        without one) and the title reports show.
    enabled : bool
        ``False`` drops the part's items, points, ``plugins`` and ``checks``.
    plugins : tuple of str
        Hidden-test plugins (``[hidden_tests] plugins``) only this part needs.
    checks : tuple of str
        Check modules (the rubric's ``checks``) only this part needs.
    """

    id: str
    title: str
    enabled: bool = True
    plugins: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rubric:
    """A lab's rubric, validated.

    Parameters
    ----------
    lab, title : str
        Lab id and its title.
    path : Path
        The TOML file it was read from.
    items : tuple of Item
        The items, in the file's order.
    checks : tuple of str
        Check modules the engine runs, in order.
    summary_dir : str
        Folder of the student's summary.
    student_module : str
        The experiment module students complete (lab detection reads it).
    protected : tuple of str
        Globs of course files restored before student code runs.
    protected_functions : tuple of str
        ``"<file>::<qualified name>"`` of template functions kept as given.
    sha256 : str
        Digest of the file, recorded in results.
    parts : tuple of Part
        Every declared part, enabled or not (``[parts.<id>]`` tables).
    sections : dict
        Every other table of the file (the lab data of the checks).
    """

    lab: str
    title: str
    path: Path
    items: tuple[Item, ...]
    checks: tuple[str, ...] = ()
    summary_dir: str = ""
    student_module: str = ""
    protected: tuple[str, ...] = ()
    protected_functions: tuple[str, ...] = ()
    sha256: str = ""
    parts: tuple[Part, ...] = ()
    sections: dict[str, Any] = field(default_factory=dict)

    @property
    def max_score(self) -> float:
        """Sum of the points of the items every submission has.

        Items with ``requires`` count only for the template versions that
        ask them; :func:`grading.pipeline.scoring.score` gives the maximum of
        one submission.
        """
        return float(sum(item.points for item in self.items if not item.requires))

    @property
    def requirements(self) -> tuple[str, ...]:
        """Every ``requires`` word of the items and their checks, sorted."""
        words = {item.requires for item in self.items}
        words |= {entry.requires for item in self.items for entry in item.checks}
        return tuple(sorted(w for w in words if w))

    def item(self, item_id: str) -> Item | None:
        """Return the item with id ``item_id``, or None."""
        return next((item for item in self.items if item.id == item_id), None)

    def item_fed_by(self, check: str, default: str = "") -> str:
        """Return the id of the first item that ``check`` feeds, or ``default``."""
        item = next((i for i in self.items if i.feeds_on(check)), None)
        return item.id if item is not None else default

    def checks_with_prefix(self, prefixes: Iterable[str]) -> list[tuple[str, str]]:
        """Return ``(item id, check id)`` of every check id with one of
        ``prefixes``, in rubric order."""
        prefixes = tuple(prefixes)
        return [
            (item.id, entry.check)
            for item in self.items
            for entry in item.checks
            if entry.check.startswith(prefixes)
        ]

    def part_title(self, part: str) -> str:
        """Return the title of part ``part`` (``""`` is the main part)."""
        wanted = part or "main"
        found = next((p for p in self.parts if p.id == wanted), None)
        return found.title if found else ("Main part" if not part else part)

    def section(self, name: str) -> dict[str, Any]:
        """Return a copy of the table ``[name]`` (``{}`` when absent)."""
        value = self.sections.get(name)
        return copy.deepcopy(value) if isinstance(value, dict) else {}

    def has_section(self, name: str) -> bool:
        """Return True when the rubric has a non-empty table ``[name]``."""
        return bool(self.sections.get(name))


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------

#: Top-level keys read into typed fields; every other key is a section.
_FIELDS = (
    "schema",
    "lab",
    "default",
    "title",
    "checks",
    "summary_dir",
    "student_module",
    "protected",
    "protected_functions",
    "items",
    "parts",
)


def available_labs() -> list[str]:
    """Return the ids of the labs that have a rubric file."""
    return sorted(p.stem for p in LABS_DIR.glob("*.toml"))


def default_lab() -> str:
    """Return the lab a command grades when it is not told one.

    It is the lab whose rubric has the top-level key ``default = true`` (the
    first in sorted order, should several say so); when none does, the only
    lab; otherwise ``""``, and the command needs ``--lab``. A rubric that
    cannot be read is passed over here: loading it reports why.
    """
    labs = available_labs()
    for lab in labs:
        try:
            data = tomllib.loads((LABS_DIR / f"{lab}.toml").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if data.get("default") is True:
            return lab
    return labs[0] if len(labs) == 1 else ""


def rubric_path(lab: str) -> Path:
    """Return the rubric file of ``lab``; raise :class:`RubricError` if absent."""
    path = LABS_DIR / f"{lab}.toml"
    if not path.is_file():
        known = ", ".join(available_labs()) or "none"
        raise RubricError(f"no rubric for lab {lab!r} in {LABS_DIR} (known: {known})")
    return path


def _item(path: Path, raw: Any, seen: set[str]) -> Item:
    if not isinstance(raw, dict):
        raise RubricError(f"{path}: an [[items]] entry is not a table: {raw!r}")
    for key in ("id", "title", "points"):
        if key not in raw:
            raise RubricError(f"{path}: an item lacks {key!r}: {raw}")
    item_id = str(raw["id"])
    if item_id in seen:
        raise RubricError(f"{path}: item id {item_id!r} appears twice")
    seen.add(item_id)
    kind = raw.get("kind", "auto")
    if kind not in ("auto", "manual"):
        raise RubricError(
            f"{path}: item {item_id!r} has kind {kind!r}; use 'auto' or 'manual'"
        )
    points = raw["points"]
    if isinstance(points, bool) or not isinstance(points, int | float) or points < 0:
        raise RubricError(f"{path}: item {item_id!r} needs points >= 0")
    checks = []
    for entry in raw.get("checks", []):
        if not isinstance(entry, dict) or "check" not in entry:
            raise RubricError(f"{path}: a check of {item_id!r} lacks 'check'")
        weight = entry.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise RubricError(f"{path}: a weight of {item_id!r} is not a number")
        requires = entry.get("requires", "")
        if not isinstance(requires, str):
            raise RubricError(f"{path}: a 'requires' of {item_id!r} is not a string")
        checks.append(CheckWeight(str(entry["check"]), float(weight), requires))
    requires = raw.get("requires", "")
    if not isinstance(requires, str):
        raise RubricError(f"{path}: the 'requires' of {item_id!r} is not a string")
    return Item(
        id=item_id,
        title=str(raw["title"]),
        points=float(points),
        kind=kind,
        readme=str(raw.get("readme", "")),
        part=str(raw.get("part", "")),
        checks=tuple(checks),
        requires=requires,
    )


def _strings(path: Path, data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RubricError(f"{path}: {key!r} must be a list of strings")
    return tuple(value)


def _parts(path: Path, data: dict[str, Any]) -> tuple[Part, ...]:
    raw = data.get("parts", {})
    if not isinstance(raw, dict):
        raise RubricError(f"{path}: [parts] must be a table of [parts.<id>] tables")
    parts = []
    for name, entry in raw.items():
        if not isinstance(entry, dict):
            raise RubricError(f"{path}: [parts.{name}] must be a table")
        enabled = entry.get("enabled", True)
        if not isinstance(enabled, bool):
            raise RubricError(f"{path}: [parts.{name}] enabled must be true or false")
        parts.append(
            Part(
                id=str(name),
                title=str(entry.get("title", name)),
                enabled=enabled,
                plugins=_strings(path, entry, "plugins"),
                checks=_strings(path, entry, "checks"),
            )
        )
    return tuple(parts)


def _without_parts(
    items: tuple[Item, ...],
    checks: tuple[str, ...],
    sections: dict[str, Any],
    parts: tuple[Part, ...],
) -> tuple[tuple[Item, ...], tuple[str, ...], dict[str, Any]]:
    """Drop the items, checks and hidden-test plugins of disabled parts."""
    off = [p for p in parts if not p.enabled]
    if not off:
        return items, checks, sections
    names = {p.id for p in off}
    items = tuple(i for i in items if (i.part or "main") not in names)
    dropped_checks = {c for p in off for c in p.checks}
    dropped_plugins = {c for p in off for c in p.plugins}
    hidden = sections.get("hidden_tests")
    if isinstance(hidden, dict) and isinstance(hidden.get("plugins"), list):
        hidden = dict(hidden)
        hidden["plugins"] = [x for x in hidden["plugins"] if x not in dropped_plugins]
        sections = {**sections, "hidden_tests": hidden}
    return items, tuple(c for c in checks if c not in dropped_checks), sections


def parse_rubric(data: dict[str, Any], path: Path, sha256: str = "") -> Rubric:
    """Validate the parsed TOML ``data`` of ``path`` and return the rubric.

    Raises
    ------
    RubricError
        If the data breaks the rules of the module docstring.
    """
    items = data.get("items")
    if not isinstance(items, list) or not items:
        raise RubricError(f"{path}: needs at least one [[items]] table")
    if not isinstance(data.get("default", False), bool):
        raise RubricError(f"{path}: 'default' must be true or false")
    seen: set[str] = set()
    parsed = tuple(_item(path, raw, seen) for raw in items)
    lab = str(data.get("lab", path.stem))
    parts = _parts(path, data)
    sections = {k: v for k, v in data.items() if k not in _FIELDS}
    parsed, checks, sections = _without_parts(
        parsed, _strings(path, data, "checks"), sections, parts
    )
    if not parsed:
        raise RubricError(f"{path}: every item belongs to a disabled part")
    return Rubric(
        lab=lab,
        title=str(data.get("title", lab)),
        path=path,
        items=parsed,
        checks=checks,
        summary_dir=str(data.get("summary_dir", f"summaries/{lab}")),
        student_module=str(data.get("student_module", "")),
        protected=_strings(path, data, "protected"),
        protected_functions=_strings(path, data, "protected_functions"),
        sha256=sha256,
        parts=parts,
        sections=sections,
    )


def load_rubric(lab_or_path: str | Path) -> Rubric:
    """Load and validate a rubric.

    Parameters
    ----------
    lab_or_path : str or Path
        A lab id (``"l03_pruning_clustering"``) or a path to a TOML file.

    Returns
    -------
    Rubric

    Raises
    ------
    RubricError
        If the file is missing, not TOML, or breaks the rules above.
    """
    path = Path(lab_or_path)
    if path.suffix != ".toml":
        path = rubric_path(str(lab_or_path))
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RubricError(f"{path}: {exc}") from exc
    return parse_rubric(data, path, hashlib.sha256(raw).hexdigest())
