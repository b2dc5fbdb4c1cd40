"""The rubrics a released repository gets: rewritten, never copied.

Every rubric of ``grading/labs/`` is read and written again, so comments
(which may hold instructor notes) never leave, and instructor-only data is
removed: every key named ``instructor`` or starting with ``instructor_``
(``instructor_notes = "..."``, an ``[instructor]`` table, in any table or
item) and the sections of :data:`INSTRUCTOR_SECTIONS` (the similarity
thresholds). The student template's rubric also loses the checks fed by the hidden
tests; the grader bundle's rubric keeps them, since it runs those tests.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .files import ReleaseError
from .toml_writer import dumps_toml

#: Top-level sections only the instructor's own tools read: never released.
INSTRUCTOR_SECTIONS = ("similarity",)
#: Check-id prefixes that belong to the hidden tests; they are removed from
#: the student template's rubric.
HIDDEN_CHECK_PREFIXES = ("hidden.", "hidden_tests.", "artifact.")

TEMPLATE_HEADER = (
    "# Public rubric of the student template: the checks that need the\n"
    "# instructor's hidden tests are left out; points are unchanged.\n"
)
BUNDLE_HEADER = (
    "# Rubric of the grader bundle: every check, without instructor-only\n"
    "# notes. Written by 'python -m grading release'; do not edit here.\n"
)


def is_instructor_key(key: str) -> bool:
    """Return True for a rubric key that only the instructor may read."""
    return key == "instructor" or key.startswith("instructor_")


def without_instructor_data(value: Any) -> Any:
    """Return ``value`` (parsed TOML) without instructor-only keys, at any depth."""
    if isinstance(value, dict):
        return {
            k: without_instructor_data(v)
            for k, v in value.items()
            if not is_instructor_key(str(k))
        }
    if isinstance(value, list):
        return [without_instructor_data(v) for v in value]
    return value


def bundle_rubric(path: Path) -> dict[str, Any]:
    """Return the rubric of ``path`` as the grader bundle carries it.

    Parameters
    ----------
    path : Path
        A rubric TOML file of ``grading/labs/``.

    Returns
    -------
    dict
        Every item, check and section, without instructor-only keys.
    """
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for name in INSTRUCTOR_SECTIONS:
        data.pop(name, None)
    return without_instructor_data(data)


def public_rubric(path: Path) -> dict[str, Any]:
    """Return the rubric of ``path`` with every hidden-test check removed.

    Parameters
    ----------
    path : Path
        A rubric TOML file of ``grading/labs/``.

    Returns
    -------
    dict
        The bundle's rubric (:func:`bundle_rubric`) without the
        ``[hidden_tests]`` section and without check entries whose id starts
        with one of :data:`HIDDEN_CHECK_PREFIXES`. Items keep their points, so
        the maximum score is unchanged.
    """
    rubric = bundle_rubric(path)
    rubric.pop("hidden_tests", None)
    for item in rubric.get("items", []):
        item["checks"] = [
            entry
            for entry in item.get("checks", [])
            if not str(entry.get("check", "")).startswith(HIDDEN_CHECK_PREFIXES)
        ]
    return rubric


def write_rubrics(
    source: Path,
    out: Path,
    transform: Callable[[Path], dict[str, Any]],
    header: str,
) -> list[str]:
    """Write every rubric of ``source`` to ``out/grading/labs/`` through ``transform``.

    Returns
    -------
    list of str
        The written paths, relative to ``out``.

    Raises
    ------
    ReleaseError
        When a rewritten rubric would read differently from ``transform``'s
        result (never ship a rubric that means something else).
    """
    written = []
    for lab_file in sorted((source / "grading" / "labs").glob("*.toml")):
        rubric = transform(lab_file)
        text = dumps_toml(rubric, header)
        if tomllib.loads(text) != rubric:
            raise ReleaseError(f"could not rewrite {lab_file} for the release")
        dest = out / "grading" / "labs" / lab_file.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
        written.append(dest.relative_to(out).as_posix())
    return written
