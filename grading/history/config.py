"""The ``[history]`` section of a rubric: checked once, conventions compiled.

Everything the history check knows about a lab is data in that section: the
item it feeds, the scoring rule, the word lists and patterns, the limits of
the reader, and the commit-message conventions by id
(``[history.conventions.<id>]``). Which convention applies to a submission
is data too: each template version in ``grading/versions/templates.toml``
names one in its ``history`` field (``"course"`` for forks of the original
course, ``"ours"`` for our released template).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grading.pipeline.rubric import Rubric

REQUIRED = (
    "item",
    "rule",
    "conventions",
    "default_convention",
    "generic",
    "junk",
    "size_limit_mb",
    "giant_share",
    "giant_min_lines",
    "deduct",
    "cap",
)
CONVENTION_REQUIRED = ("convention", "description", "subject_max", "example_subject")


class HistoryConfigError(ValueError):
    """The rubric's ``[history]`` section is missing or malformed."""


@dataclass(frozen=True)
class Convention:
    """One commit-message convention (``[history.conventions.<id>]``).

    Parameters
    ----------
    id : str
        ``"ours"``, ``"course"``.
    description : str
        One sentence for students: what a subject looks like.
    pattern : re.Pattern
        Regex of a subject with ``area`` and ``summary`` groups.
    subject_max : int
        Longest subject in characters.
    capitalized : bool
        The summary starts with a capital letter.
    tense_words : frozenset of str
        First words of a summary that break the convention's tense.
    tense_hint : str
        How to write the first word instead.
    example : str
        A subject that follows the convention.
    single_area : bool
        The convention has one area level (``summaries: Add ...``); a second
        level gets its own explanation.
    """

    id: str
    description: str
    pattern: re.Pattern[str]
    subject_max: int
    capitalized: bool
    tense_words: frozenset[str]
    tense_hint: str
    example: str
    single_area: bool = False


def _convention(where: str, conv_id: str, raw: object) -> Convention:
    if not isinstance(raw, dict):
        raise HistoryConfigError(
            f"{where}: [history.conventions.{conv_id}] is not a table"
        )
    missing = [k for k in CONVENTION_REQUIRED if k not in raw]
    if missing:
        raise HistoryConfigError(
            f"{where}: [history.conventions.{conv_id}] lacks {', '.join(missing)}"
        )
    try:
        pattern = re.compile(raw["convention"])
    except re.error as exc:
        raise HistoryConfigError(
            f"{where}: [history.conventions.{conv_id}] convention is not a regex: {exc}"
        ) from exc
    if not {"area", "summary"} <= set(pattern.groupindex):
        raise HistoryConfigError(
            f"{where}: [history.conventions.{conv_id}] convention needs "
            "(?P<area>...) and (?P<summary>...) groups"
        )
    return Convention(
        id=conv_id,
        description=str(raw["description"]),
        pattern=pattern,
        subject_max=int(raw["subject_max"]),
        capitalized=bool(raw.get("summary_capitalized", True)),
        tense_words=frozenset(w.lower() for w in raw.get("tense_words", [])),
        tense_hint=str(raw.get("tense_hint", "")),
        example=str(raw["example_subject"]),
        single_area=bool(raw.get("single_area", False)),
    )


def load_config(rubric: Rubric) -> tuple[dict, str, float]:
    """Return ``(history section, item id, item points)`` from a rubric.

    The section is returned as a copy with the compiled conventions under
    ``"_conventions"`` (see :func:`convention`).

    Raises
    ------
    HistoryConfigError
        If the section, a required key, a convention or the item is missing
        or malformed; the message names the rubric file.
    """
    where = rubric.path
    cfg = rubric.section("history")
    if not cfg:
        raise HistoryConfigError(f"{where}: no [history] section with the scoring rule")
    missing = [k for k in REQUIRED if k not in cfg]
    if missing:
        raise HistoryConfigError(f"{where}: [history] lacks {', '.join(missing)}")
    cfg = dict(cfg)
    raw = cfg["conventions"]
    if not isinstance(raw, dict) or not raw:
        raise HistoryConfigError(f"{where}: [history.conventions] has no convention")
    cfg["_conventions"] = {k: _convention(where, k, v) for k, v in raw.items()}
    if cfg["default_convention"] not in cfg["_conventions"]:
        raise HistoryConfigError(
            f"{where}: [history] default_convention "
            f"{cfg['default_convention']!r} is not in [history.conventions]"
        )
    if "summary_paths" not in cfg:
        summary_dir = rubric.summary_dir or "summaries"
        cfg["summary_paths"] = [summary_dir.rstrip("/") + "/"]
    item_id = str(cfg["item"])
    item = rubric.item(item_id)
    if item is None:
        raise HistoryConfigError(f"{where}: no item {item_id!r} for the history check")
    return cfg, item_id, item.points


def convention(cfg: dict, conv_id: str) -> Convention:
    """Return the convention ``conv_id``, else the rubric's default one."""
    known: dict[str, Convention] = cfg["_conventions"]
    return known.get(conv_id) or known[cfg["default_convention"]]
