"""Manual review: merge a reviewer's decisions into graded results.

Decisions live in a plain file the instructor edits, TOML::

    reviewer = "jk"              # optional default for every decision

    [[decision]]
    submission = "alice"         # folder name under GRADES_DIR
    item = "question_1"          # rubric item id
    points = 1
    comment = "Clear comparison of the three methods."
    reviewer = "jk"

or CSV with the header ``submission,item,points,comment,reviewer`` (comma or
semicolon separated; ``1,5`` is read as 1.5 when quoted or with ``;``).

Every decision is checked before any file is written: an unknown submission
or item, points below 0 or above the item's maximum, a missing reviewer or
the same item decided twice is an :class:`OverrideError` naming the file and
line, and nothing changes.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import re
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from grading.report.format import fmt_points, number, text
from grading.report.gradebook import submission_dirs, write_gradebook
from grading.report.render import render_reports
from grading.util.io import read_json, write_atomic, write_json

FIELDS = ("submission", "item", "points", "comment", "reviewer")


class OverrideError(ValueError):
    """The decisions file is wrong; the message names each bad line."""


@dataclass
class Decision:
    """One reviewer decision: ``points`` for ``item`` of ``submission``."""

    submission: str
    item: str
    points: float
    comment: str
    reviewer: str
    where: str
    accepted: bool = False

    def as_override(self) -> dict[str, Any]:
        """Return the ``override`` dict stored in the item of ``results.json``.

        A confirmed suggestion (``report --accept-suggestions``) is marked
        ``accepted_suggestion``.
        """
        out: dict[str, Any] = {
            "points": self.points,
            "comment": self.comment,
            "reviewer": self.reviewer,
            "source_file": self.where.rsplit(":", 1)[0],
        }
        if self.accepted:
            out["accepted_suggestion"] = True
        return out


def _points(raw: Any) -> float | None:
    """Parse points from a number or a string (``"1.5"``, ``"1,5"``)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        cleaned = str(raw).strip().replace(" ", "")
        if cleaned.count(",") == 1 and "." not in cleaned:
            cleaned = cleaned.replace(",", ".")
        try:
            value = float(cleaned)
        except ValueError:
            return None
    return value if math.isfinite(value) else None


def _decision(
    entry: dict[str, Any], where: str, errors: list[str], default_reviewer: str = ""
) -> Decision | None:
    """Validate the fields of one decision; append problems to ``errors``."""
    problems = []
    submission = text(entry.get("submission")).strip()
    item = text(entry.get("item")).strip()
    reviewer = text(entry.get("reviewer")).strip() or default_reviewer
    if not submission:
        problems.append("'submission' is empty")
    if not item:
        problems.append("'item' is empty")
    if not reviewer:
        problems.append("'reviewer' is empty: write who decided (initials are enough)")
    raw_points = entry.get("points")
    points = None if raw_points in (None, "") else _points(raw_points)
    if raw_points in (None, ""):
        problems.append("'points' is missing")
    elif points is None:
        problems.append(f"'points' is {raw_points!r}, not a number")
    elif points < 0:
        problems.append(f"'points' is {raw_points!r}; points cannot be negative")
    unknown = sorted(set(entry) - set(FIELDS))
    if unknown:
        problems.append(
            f"unknown field(s) {', '.join(unknown)}; use {', '.join(FIELDS)}"
        )
    if problems:
        errors.append(f"{where}: " + "; ".join(problems))
        return None
    return Decision(
        submission,
        item,
        float(points),
        text(entry.get("comment")).strip(),
        reviewer,
        where,
    )


def _load_toml(path: Path, content: str, errors: list[str]) -> list[Decision]:
    try:
        data = tomllib.loads(content)
    except tomllib.TOMLDecodeError as exc:
        raise OverrideError(f"{path}: not valid TOML: {exc}") from exc
    key = "decision" if "decision" in data else "decisions"
    entries = data.get(key, [])
    extra = sorted(set(data) - {"decision", "decisions", "reviewer"})
    if extra:
        errors.append(
            f"{path}: unknown top-level key(s) {', '.join(extra)}; "
            "write each decision as a [[decision]] table"
        )
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise OverrideError(f"{path}: write each decision as a [[decision]] table")
    header = re.compile(rf"^[ \t]*\[\[[ \t]*{key}[ \t]*\]\]", re.MULTILINE)
    lines = [content.count("\n", 0, m.start()) + 1 for m in header.finditer(content)]
    default = text(data.get("reviewer")).strip()
    decisions = []
    for index, entry in enumerate(entries):
        line = lines[index] if index < len(lines) else None
        where = f"{path}:{line}" if line else f"{path}: decision #{index + 1}"
        decision = _decision(entry, where, errors, default)
        if decision:
            decisions.append(decision)
    return decisions


def _load_csv(path: Path, content: str, errors: list[str]) -> list[Decision]:
    lines = content.lstrip("\ufeff").splitlines()
    first = next((ln for ln in lines if ln.strip() and not ln.startswith("#")), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(content.lstrip("\ufeff")), delimiter=delimiter)
    header: list[str] | None = None
    decisions = []
    for row in reader:
        if not row or not any(cell.strip() for cell in row) or row[0].startswith("#"):
            continue
        if header is None:
            header = [cell.strip().lower() for cell in row]
            missing = [f for f in ("submission", "item", "points") if f not in header]
            if missing:
                raise OverrideError(
                    f"{path}:{reader.line_num}: the header lacks {', '.join(missing)}; "
                    f"the first line must name the columns {','.join(FIELDS)}"
                )
            continue
        where = f"{path}:{reader.line_num}"
        if len(row) > len(header):
            errors.append(
                f"{where}: {len(row)} cells but {len(header)} columns; quote "
                "cells that contain the separator"
            )
            continue
        entry = {name: value for name, value in zip(header, row, strict=False) if name}
        decision = _decision(entry, where, errors)
        if decision:
            decisions.append(decision)
    if header is None:
        raise OverrideError(
            f"{path}: empty; the first line must name the columns {','.join(FIELDS)}"
        )
    return decisions


def _parse(path: Path) -> tuple[list[Decision], list[str]]:
    """Read a decisions file; return the well-formed decisions and the problems."""
    path = Path(path)
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OverrideError(f"{path}: cannot read the decisions file ({exc})") from exc
    errors: list[str] = []
    if path.suffix.lower() == ".toml":
        decisions = _load_toml(path, content, errors)
    else:
        decisions = _load_csv(path, content, errors)
    return decisions, errors


def load_decisions(path: Path) -> list[Decision]:
    """Read and check the fields of a decisions file (TOML or CSV).

    Parameters
    ----------
    path : Path
        ``.toml`` or ``.csv`` file (other suffixes are read as CSV).

    Returns
    -------
    list of Decision

    Raises
    ------
    OverrideError
        If the file cannot be read or any decision is malformed; the message
        lists every bad line.
    """
    decisions, errors = _parse(path)
    if errors:
        raise OverrideError(_error_text(errors))
    return decisions


def _line_of(error: str) -> int:
    match = re.search(r":(\d+): ", error)
    return int(match.group(1)) if match else 0


def _error_text(errors: list[str]) -> str:
    errors = sorted(errors, key=_line_of)
    head = f"{len(errors)} problem(s) in the decisions; nothing was changed:"
    return "\n".join([head, *(f"  {e}" for e in errors)])


def _merge(
    results: dict[str, Any], decisions: list[Decision], audit: list[dict] | None = None
) -> dict[str, Any]:
    """Return a copy of ``results`` with ``decisions`` applied and totals
    recomputed; append an audit entry to ``audit`` for each item that changed."""
    merged = copy.deepcopy(results)
    by_item = {d.item: d for d in decisions}
    for item in merged["items"]:
        decision = by_item.get(item.get("id"))
        if decision is None:
            continue
        if audit is not None and item.get("override") != decision.as_override():
            audit.append(audit_entry(decision, item))
        maximum = number(item.get("max_points"))
        item["points"] = decision.points
        item["source"] = "override"
        item["override"] = decision.as_override()
        item["status"] = (
            "pass"
            if decision.points >= maximum
            else "partial"
            if decision.points > 0
            else "fail"
        )
    merged["score"] = round(sum(number(i.get("points")) for i in merged["items"]), 2)
    if merged.get("status") == "timeout" and _late(results) and not _late(merged):
        # A person decided every item a time limit kept from being checked.
        merged["status"] = "graded"
    return merged


#: The audit of a grades folder: one JSON line per decided item that changed.
AUDIT_FILE = "decisions-audit.jsonl"


def audit_entry(decision: Decision, item: dict[str, Any]) -> dict[str, Any]:
    """Return the audit record of ``decision`` replacing what ``item`` held."""
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "submission": decision.submission,
        "item": decision.item,
        "points": decision.points,
        "previous_points": item.get("points"),
        "previous_source": item.get("source"),
        "suggested_points": item.get("suggested_points"),
        "accepted_suggestion": decision.accepted,
        "reviewer": decision.reviewer,
        "comment": decision.comment,
        "source": decision.where,
    }


def _write_audit(grades_dir: Path, entries: list[dict]) -> None:
    if not entries:
        return
    path = grades_dir / AUDIT_FILE
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    lines = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries)
    write_atomic(path, old + lines)


def _late(results: dict[str, Any]) -> bool:
    """Return True if an item of ``results`` is out of time (not a score)."""
    return any(
        isinstance(i, dict) and i.get("status") == "timeout" for i in results["items"]
    )


def rerender(
    grades_dir: Path,
    overrides_file: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    extra: Callable[[dict[str, dict]], list[Decision]] | None = None,
) -> dict[str, int]:
    """Merge decisions (if given), then re-render every report and the gradebook.

    Parameters
    ----------
    grades_dir : Path
        Folder with one sub-folder per submission.
    overrides_file : Path, optional
        Decisions file (TOML or CSV).
    progress : callable, optional
        Called as ``progress(done, total)`` while reports are rendered.
    extra : callable, optional
        Given the loaded results by submission, returns more decisions (the
        confirmed suggestions); one of the file for the same item wins.

    Every decided item that changes is appended to the audit,
    ``GRADES_DIR/decisions-audit.jsonl`` (:data:`AUDIT_FILE`).

    Returns
    -------
    dict
        Counts: ``decisions``, ``changed`` submissions, ``reports`` rendered,
        ``skipped`` folders without valid results.

    Raises
    ------
    OverrideError
        If a decision is malformed or names an unknown submission or item, or
        gives more points than the item's maximum. Nothing is written then.
    FileNotFoundError
        If ``grades_dir`` is not a folder.
    """
    grades_dir = Path(grades_dir)
    if not grades_dir.is_dir():
        raise FileNotFoundError(f"{grades_dir} is not a folder of graded submissions")
    decisions, errors = (
        _parse(overrides_file) if overrides_file is not None else ([], [])
    )
    loaded, unreadable = _load_all(grades_dir)
    if extra is not None:
        taken = {(d.submission, d.item) for d in decisions}
        decisions = decisions + [
            d for d in extra(loaded) if (d.submission, d.item) not in taken
        ]
    per_submission = _validate(decisions, loaded, unreadable, grades_dir, errors)
    if errors:
        raise OverrideError(_error_text(errors))

    # Everything is valid: compute every output in memory, then write.
    outputs: list[tuple[Path, str | dict]] = []
    audit: list[dict] = []
    total = len(loaded)
    for done, (name, results) in enumerate(sorted(loaded.items()), start=1):
        folder = grades_dir / name
        if name in per_submission:
            results = _merge(results, per_submission[name], audit)
            outputs.append((folder / "results.json", results))
        for file_name, body in render_reports(results, folder).items():
            outputs.append((folder / file_name, body))
        if progress:
            progress(done, total)
    for path, body in outputs:
        if isinstance(body, dict):
            write_json(path, body, sort_keys=False)
        else:
            write_atomic(path, body)
    _write_audit(grades_dir, audit)
    write_gradebook(grades_dir)
    return {
        "decisions": len(decisions),
        "changed": len(per_submission),
        "reports": total,
        "skipped": len(unreadable),
    }


def _load_all(grades_dir: Path) -> tuple[dict[str, dict], dict[str, str]]:
    """Return the usable results by folder name, and why the others are not."""
    loaded: dict[str, dict[str, Any]] = {}
    unreadable: dict[str, str] = {}
    for folder in submission_dirs(grades_dir):
        data, problem = read_json(folder / "results.json")
        if isinstance(data, dict) and isinstance(data.get("items"), list):
            loaded[folder.name] = data
        else:
            unreadable[folder.name] = problem or "results.json holds no 'items' list"
    return loaded, unreadable


def _check_decision(
    d: Decision,
    loaded: dict[str, dict],
    unreadable: dict[str, str],
    grades_dir: Path,
) -> str:
    """Return what is wrong with one decision, or ``""``."""
    if d.submission not in loaded:
        if d.submission in unreadable:
            return (
                f"{d.where}: submission {d.submission!r} has no usable "
                f"results ({unreadable[d.submission]}); grade it again first"
            )
        known = ", ".join(sorted(loaded)[:8]) + (" ..." if len(loaded) > 8 else "")
        return (
            f"{d.where}: unknown submission {d.submission!r}: no folder "
            f"{grades_dir / d.submission} with results.json "
            f"(known: {known or 'none'})"
        )
    items = {
        text(i.get("id")): i
        for i in loaded[d.submission]["items"]
        if isinstance(i, dict)
    }
    if d.item not in items:
        return (
            f"{d.where}: unknown item {d.item!r} for {d.submission!r} "
            f"(items: {', '.join(items)})"
        )
    maximum = number(items[d.item].get("max_points"))
    if d.points > maximum + 1e-9:
        return (
            f"{d.where}: {fmt_points(d.points)} points for "
            f"{d.item!r} is over its maximum of {fmt_points(maximum)}"
        )
    return ""


def _validate(
    decisions: list[Decision],
    loaded: dict[str, dict],
    unreadable: dict[str, str],
    grades_dir: Path,
    errors: list[str],
) -> dict[str, list[Decision]]:
    """Check every decision (appending to ``errors``); group the valid ones."""
    seen: dict[tuple[str, str], str] = {}
    per_submission: dict[str, list[Decision]] = {}
    for d in decisions:
        problem = _check_decision(d, loaded, unreadable, grades_dir)
        key = (d.submission, d.item)
        if not problem and key in seen:
            problem = (
                f"{d.where}: {d.submission!r} / {d.item!r} is already decided "
                f"at {seen[key]}; keep one decision"
            )
        if problem:
            errors.append(problem)
            continue
        seen[key] = d.where
        per_submission.setdefault(d.submission, []).append(d)
    return per_submission


def apply_overrides(grades_dir: Path, overrides_file: Path | None) -> None:
    """Merge manual decisions and re-render every report and the gradebook.

    Each decided item gets ``source = "override"`` and an ``override`` dict
    (points, comment, reviewer); its status follows the points; the total is
    recomputed from the items. Items not named keep their points (including
    earlier overrides). All decisions are validated before any file is
    written, and every file is written atomically.

    Parameters
    ----------
    grades_dir : Path
        Folder with ``<student>/results.json`` per submission.
    overrides_file : Path or None
        Decisions file (TOML or CSV, see the module docstring); ``None``
        only re-renders.

    Raises
    ------
    OverrideError
        On any invalid decision; nothing is changed then.
    """
    rerender(grades_dir, overrides_file)


def print_progress(done: int, total: int, stream=None) -> None:
    """Show ``rendering reports done/total`` on one terminal line (or every 10 %)."""
    stream = stream or sys.stderr
    if stream.isatty():
        end = "\n" if done == total else ""
        print(f"\rrendering reports {done}/{total}", end=end, file=stream, flush=True)
    elif done == total or done % max(1, total // 10) == 0:
        print(f"rendering reports {done}/{total}", file=stream, flush=True)
