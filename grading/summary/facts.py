"""Facts a summary must state, found line by line (``[[summary.facts]]``).

A fact is rubric data: an ``id`` (its check is ``summary.<id>``), a ``title``
and ``groups``, each a ``name`` and a list of regular expressions (matched
per line, ignoring case); with ``requires`` (a list of lower-case words) a
line counts only when it holds one of them, and is read from the first of
them on. The check earns the share of the
groups with ``scored = true`` (the default) that some line matches; the
others are shown as information. A group with ``size = true`` reads the
number and unit of its match as a size in bytes, for the ratio rules.

``[[summary.ratios]]`` compare two size groups (``numerator``,
``denominator`` as ``"<fact>.<group>"``) and warn the instructor when the
ratio falls outside ``[min, max]``; ``[[summary.comparisons]]`` compare a
metric of two variants (``metric``, ``a``, ``b``, ``expect`` of ``"lower"``
or ``"higher"``, optional ``factor``) and warn when ``a`` is not so. Neither
deducts anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from grading.summary.result import SummaryResult, SummaryWarning
from grading.util.text import cap

_SIZE = re.compile(
    r"(\d[\d\s\u00a0,.]*?)\s*(gib|gb|mib|mb|kib|kb|bytes|b)\b", re.IGNORECASE
)
UNITS = {
    "b": 1,
    "bytes": 1,
    "kb": 1000,
    "kib": 1024,
    "mb": 1000**2,
    "mib": 1024**2,
    "gb": 1000**3,
    "gib": 1024**3,
}
#: Longest line kept as evidence, in characters.
LINE_CHARS = 160


@dataclass
class Fact:
    """What was found of one fact: the matching line of each group."""

    found: dict[str, str] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    scored: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"found": dict(self.found), "sizes": dict(self.sizes)}


def parse_size(text: str) -> int | None:
    """Bytes of the first ``<number> <unit>`` in ``text`` (``8 452 kB``, ``4.1 MB``)."""
    match = _SIZE.search(text)
    if not match:
        return None
    raw = re.sub(r"[\s\u00a0]", "", match.group(1))
    if raw.count(",") == 1 and raw.count(".") == 0 and len(raw.split(",")[1]) != 3:
        raw = raw.replace(",", ".")
    raw = raw.replace(",", "")
    if raw.count(".") > 1:
        raw = raw.replace(".", "")
    try:
        return int(float(raw) * UNITS[match.group(2).lower()])
    except ValueError:
        return None


def _compiled(patterns: list[str]) -> list[re.Pattern]:
    out = []
    for pattern in patterns:
        try:
            out.append(re.compile(pattern, re.IGNORECASE))
        except re.error:
            continue
    return out


def find(lines: list[str], data: dict) -> dict[str, Fact]:
    """Find every ``[[summary.facts]]`` of ``data`` in the summary's ``lines``."""
    out: dict[str, Fact] = {}
    for spec in data.get("facts", []):
        fact = Fact()
        for group in spec.get("groups", []):
            name = group["name"]
            if group.get("scored", True):
                fact.scored.append(name)
            words = [w.lower() for w in group.get("requires", [])]
            patterns = _compiled(group.get("patterns", []))
            for line in lines:
                low = line.lower()
                if words and not any(w in low for w in words):
                    continue
                # What a group reads follows its word (`FP32 16 MB, INT8 4 MB`).
                start = min((low.find(w) for w in words if w in low), default=0)
                rest = line[start:]
                match = next((m for p in patterns if (m := p.search(rest))), None)
                if match is None:
                    continue
                if group.get("size"):
                    size = parse_size(rest[match.start() :])
                    if size is None:
                        continue
                    fact.sizes[name] = size
                fact.found[name] = cap(line.strip(), LINE_CHARS)
                break
        out[spec["id"]] = fact
    return out


def _ratio_warnings(facts: dict[str, Fact], data: dict) -> list[SummaryWarning]:
    out = []
    for rule in data.get("ratios", []):
        sizes = []
        for ref in (rule["numerator"], rule["denominator"]):
            fact_id, _, group = ref.partition(".")
            fact = facts.get(fact_id)
            sizes.append(fact.sizes.get(group) if fact else None)
        if None in sizes or not sizes[1]:
            continue
        ratio = sizes[0] / sizes[1]
        if not float(rule["min"]) <= ratio <= float(rule["max"]):
            out.append(
                SummaryWarning(
                    rule.get("code", "implausible_ratio"),
                    f"{rule['message']} (the summary gives {ratio:.2f})",
                    check=rule.get("check", ""),
                )
            )
    return out


def _comparison_warnings(result: SummaryResult, data: dict) -> list[SummaryWarning]:
    out = []
    for rule in data.get("comparisons", []):
        a, b = result.metrics.get(rule["a"]), result.metrics.get(rule["b"])
        if a is None or b is None:
            continue
        va, vb = getattr(a, rule["metric"], None), getattr(b, rule["metric"], None)
        if va is None or vb is None:
            continue
        factor = float(rule.get("factor", 1.0))
        ok = va * factor <= vb if rule["expect"] == "lower" else va >= vb * factor
        if not ok:
            out.append(
                SummaryWarning(
                    rule.get("code", "implausible_comparison"),
                    f"{rule['message']} ({rule['a']}: {va:.4g}, {rule['b']}: {vb:.4g})",
                    check=rule.get("check", ""),
                    variant=rule["a"],
                )
            )
    return out


def warnings(result: SummaryResult, facts: dict[str, Fact], data: dict) -> list:
    """Instructor warnings of the ratio and comparison rules."""
    return _ratio_warnings(facts, data) + _comparison_warnings(result, data)
