"""The rubric as data: load ``grading/labs/<lab>.toml`` and score findings.

A rubric lists items. Each item has an ``id``, a ``title``, ``points``, a
``kind`` (``auto`` or ``manual``) and ``checks``: the finding ids that feed it
with their weights. An item earns ``points * sum(weight * earned) /
sum(weight)``, where ``earned`` is a finding's fraction (1 passed, 0 failed,
or the check's partial credit). A listed check that produced no finding
counts as failed and says so. A ``manual`` item earns nothing until a person
decides; its checks only suggest a score. An ``auto`` item whose findings
decided nothing and include one with code ``manual_review`` (a PDF summary, an
unreadable file) also waits for a person, with that finding as the reason.
An ``auto`` item with a finding whose code is in :data:`SUSPICION_CODES` (a
model not made from the one the tests gave, a tampered test run) earns
nothing and waits for a person too, whatever its other findings say: its
checks only suggest a score. Nothing here is lab-specific.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from grading.pipeline.findings import Finding
from grading.util.paths import LABS_DIR

STATUSES = ("pass", "partial", "fail", "manual", "error")
#: Finding codes that put an item on hold for a person (suspected cheating).
SUSPICION_CODES = ("foreign_model", "tampered")


class RubricError(ValueError):
    """A rubric file is missing or malformed; the message names the file."""


def available_labs() -> list[str]:
    """Return the ids of the labs that have a rubric file."""
    return sorted(p.stem for p in LABS_DIR.glob("*.toml"))


def rubric_path(lab: str) -> Path:
    """Return the rubric file of ``lab``; raise :class:`RubricError` if absent."""
    path = LABS_DIR / f"{lab}.toml"
    if not path.is_file():
        known = ", ".join(available_labs()) or "none"
        raise RubricError(f"no rubric for lab {lab!r} in {LABS_DIR} (known: {known})")
    return path


def load_rubric(lab_or_path: str | Path) -> dict[str, Any]:
    """Load and validate a rubric.

    Parameters
    ----------
    lab_or_path : str or Path
        A lab id (``"l03_pruning_clustering"``) or a path to a TOML file.

    Returns
    -------
    dict
        The parsed rubric, with defaults filled in (``kind``, ``checks``,
        ``weight``) and ``max_score`` added.

    Raises
    ------
    RubricError
        If the file is missing, not TOML, or breaks the rules above.
    """
    path = Path(lab_or_path)
    if path.suffix != ".toml":
        path = rubric_path(str(lab_or_path))
    try:
        rubric = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RubricError(f"{path}: {exc}") from exc
    items = rubric.get("items")
    if not isinstance(items, list) or not items:
        raise RubricError(f"{path}: needs at least one [[items]] table")
    seen: set[str] = set()
    for item in items:
        for key in ("id", "title", "points"):
            if key not in item:
                raise RubricError(f"{path}: an item lacks {key!r}: {item}")
        if item["id"] in seen:
            raise RubricError(f"{path}: item id {item['id']!r} appears twice")
        seen.add(item["id"])
        item.setdefault("kind", "auto")
        if item["kind"] not in ("auto", "manual"):
            raise RubricError(
                f"{path}: item {item['id']!r} has kind {item['kind']!r}; "
                "use 'auto' or 'manual'"
            )
        if not isinstance(item["points"], int | float) or item["points"] < 0:
            raise RubricError(f"{path}: item {item['id']!r} needs points >= 0")
        checks = item.setdefault("checks", [])
        for entry in checks:
            if "check" not in entry:
                raise RubricError(f"{path}: a check of {item['id']!r} lacks 'check'")
            entry.setdefault("weight", 1.0)
    rubric.setdefault("lab", path.stem)
    rubric["max_score"] = float(sum(item["points"] for item in items))
    rubric["path"] = str(path)
    return rubric


def _item_fraction(
    item: dict[str, Any], findings: list[Finding]
) -> tuple[float, list[Finding]]:
    """Return the earned fraction of ``item`` and the findings that fed it."""
    by_check: dict[str, list[Finding]] = {}
    for finding in findings:
        by_check.setdefault(finding.check, []).append(finding)
    total = sum(float(c["weight"]) for c in item["checks"])
    earned = 0.0
    used: list[Finding] = []
    for entry in item["checks"]:
        got = by_check.get(entry["check"])
        if not got:
            missing = Finding(
                check=entry["check"],
                item=item["id"],
                passed=False,
                message="This check did not run, so it earns nothing.",
                hint="Look at the other findings of this item for the cause "
                "(a crash, a timeout or a missing file).",
                code="not_run",
            )
            used.append(missing)
            continue
        decided = [f.earned for f in got if f.earned is not None]
        fraction = min(decided) if decided else 0.0
        earned += float(entry["weight"]) * fraction
    return (earned / total if total else 0.0), used


def score(
    rubric: dict[str, Any],
    findings: list[Finding],
    overrides: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Turn findings into scored items.

    Parameters
    ----------
    rubric : dict
        From :func:`load_rubric`.
    findings : list of Finding
        Every finding of every check of one submission.
    overrides : dict, optional
        Manual decisions by item id: ``{"points": float, "comment": str,
        "reviewer": str}``. They replace the computed points of that item.

    Returns
    -------
    dict
        ``{"score", "max_score", "items": [...], "unassigned": [...]}`` where
        each item is ``{"id", "title", "points", "max_points", "kind",
        "status", "source", "suggested_points", "findings"}``; ``source`` is
        ``"check"``, ``"manual"`` (waiting) or ``"override"`` (a person).
    """
    overrides = overrides or {}
    items_out = []
    known = {item["id"] for item in rubric["items"]}
    for item in rubric["items"]:
        own = [f for f in findings if f.item == item["id"]]
        fed = {c["check"] for c in item["checks"]}
        related = own + [f for f in findings if f.check in fed and f not in own]
        fraction, synthesized = _item_fraction(item, related)
        max_points = float(item["points"])
        computed = round(max_points * fraction, 2)
        errored = any(f.code in ("error", "grader_error") for f in related)
        review = any(f.code == "manual_review" for f in related) and all(
            f.earned is None for f in related
        )
        review = review or any(f.code in SUSPICION_CODES for f in related)
        if item["kind"] == "manual" or review:
            status, source, points = "manual", "manual", 0.0
        elif errored and computed == 0:
            status, source, points = "error", "check", 0.0
        else:
            source, points = "check", computed
            status = (
                "pass"
                if computed >= max_points
                else ("partial" if computed > 0 else "fail")
            )
        decision = overrides.get(item["id"])
        if decision is not None:
            points = float(decision["points"])
            source = "override"
            status = (
                "pass"
                if points >= max_points
                else ("partial" if points > 0 else "fail")
            )
        items_out.append(
            {
                "id": item["id"],
                "title": item["title"],
                "points": points,
                "max_points": max_points,
                "kind": item["kind"],
                "status": status,
                "source": source,
                "suggested_points": computed if item["checks"] else None,
                "override": decision,
                "readme": item.get("readme", ""),
                "findings": [f.to_dict() for f in related + synthesized],
            }
        )
    unassigned = [f.to_dict() for f in findings if f.item not in known]
    return {
        "score": round(sum(i["points"] for i in items_out), 2),
        "max_score": rubric["max_score"],
        "items": items_out,
        "unassigned": unassigned,
    }
