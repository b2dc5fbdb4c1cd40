"""The class page's similarity section, built from ``similarity.json``.

:func:`class_page_section` is what the gradebook calls when it renders
``index.html``; the template ``_similarity.html.j2`` only loops over what
it returns. Only flagged pairs and flagged students are shown (with every
piece of evidence and links to both instructor reports); the rest is in
``similarity.json``. The section is instructor-only: no student report
reads it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from grading.util.text import cap

SIMILARITY_JSON = "similarity.json"
INSTRUCTOR_REPORT = "report-instructor.html"
SIGNAL_TITLES = {
    "code": "Code",
    "numbers": "Numbers",
    "images": "Images",
    "answers": "Answers",
    "artifacts": "Model files",
}


def _text(value: Any, limit: int = 2000) -> str:
    return cap(str(value), limit) if value is not None else ""


def _link(grades: Path, student: str) -> str:
    return (
        f"{quote(student)}/{INSTRUCTOR_REPORT}"
        if (grades / student / INSTRUCTOR_REPORT).is_file()
        else ""
    )


def _items(signal: str, details: list) -> list[str]:
    """One line per piece of evidence (code passages are shown apart)."""
    lines = []
    for d in details[:12]:
        if not isinstance(d, dict):
            continue
        if signal == "numbers":
            lines.append(
                f"{d.get('kind')} = {d.get('value')} ({d.get('digits')} digits): "
                f"{d.get('a')} / {d.get('b')}"
            )
        elif signal == "images":
            how = (
                "the same file"
                if d.get("identical_file")
                else (f"{d.get('distance')} bits apart")
            )
            lines.append(f"{d.get('a')} / {d.get('b')}: {how}")
        elif signal == "artifacts":
            lines.append(f"{d.get('a')} / {d.get('b')} (id {str(d.get('id'))[:12]})")
    return [_text(line, 400) for line in lines]


def _passages(signal: str, details: list) -> list[dict]:
    if signal == "code":
        return [
            {
                "left": f"{_text(d['a'].get('file'), 200)}, lines "
                f"{'-'.join(str(n) for n in d['a'].get('lines', []))}",
                "left_text": _text(d["a"].get("text"), 3000),
                "right": f"{_text(d['b'].get('file'), 200)}, lines "
                f"{'-'.join(str(n) for n in d['b'].get('lines', []))}",
                "right_text": _text(d["b"].get("text"), 3000),
            }
            for d in details
            if isinstance(d, dict)
            and isinstance(d.get("a"), dict)
            and isinstance(d.get("b"), dict)
        ]
    if signal == "answers":
        return [
            {
                "left": f"{d.get('question')} (ratio {d.get('ratio')})",
                "left_text": _text(d.get("a"), 1500),
                "right": f"{d.get('question')}",
                "right_text": _text(d.get("b"), 1500),
            }
            for d in details
            if isinstance(d, dict)
        ]
    return []


def _evidence(raw: Any) -> list[dict]:
    out = []
    for entry in raw if isinstance(raw, list) else []:
        if not isinstance(entry, dict):
            continue
        signal = str(entry.get("signal", ""))
        details = entry.get("details") if isinstance(entry.get("details"), list) else []
        out.append(
            {
                "signal": SIGNAL_TITLES.get(signal, signal),
                "score": f"{float(entry.get('score') or 0):.2f}",
                "summary": _text(entry.get("summary"), 400),
                "lines": _items(signal, details),
                "passages": _passages(signal, details),
            }
        )
    return out


def class_page_section(grades: Path) -> dict[str, Any] | None:
    """Return the view of the similarity section, or None without a result.

    Parameters
    ----------
    grades : Path
        The grades folder; ``similarity.json`` is read from it.

    Returns
    -------
    dict or None
        ``{"summary", "generated_at", "json_link", "pairs": [...],
        "reference": [...], "warnings": [...], "error"}``; None when the
        folder has no ``similarity.json``.
    """
    grades = Path(grades)
    path = grades / SIMILARITY_JSON
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        return {
            "error": f"{SIMILARITY_JSON} is unreadable ({exc})",
            "pairs": [],
            "reference": [],
            "warnings": [],
            "summary": "",
            "generated_at": "",
            "json_link": SIMILARITY_JSON,
        }
    pairs = []
    for pair in data.get("pairs") or []:
        if not isinstance(pair, dict) or not pair.get("flagged"):
            continue
        a, b = _text(pair.get("a"), 200), _text(pair.get("b"), 200)
        pairs.append(
            {
                "a": a,
                "b": b,
                "a_link": _link(grades, a),
                "b_link": _link(grades, b),
                "score": f"{float(pair.get('score') or 0):.2f}",
                "evidence": _evidence(pair.get("evidence")),
            }
        )
    reference = [
        {
            "student": _text(r.get("student"), 200),
            "link": _link(grades, str(r.get("student"))),
            "score": f"{float(r.get('score') or 0):.2f}",
            "evidence": _evidence(r.get("evidence")),
        }
        for r in data.get("reference") or []
        if isinstance(r, dict) and r.get("flagged")
    ]
    listed = len(data.get("pairs") or [])
    return {
        "error": "",
        "summary": (
            f"{data.get('submissions', 0)} submissions, "
            f"{data.get('pairs_compared', 0)} pairs compared, "
            f"{len(pairs)} flagged, {max(0, listed - len(pairs))} more with "
            "weaker evidence"
        ),
        "generated_at": _text(data.get("generated_at"), 40),
        "json_link": SIMILARITY_JSON,
        "pairs": pairs,
        "reference": reference,
        "warnings": [_text(w, 400) for w in data.get("warnings") or []],
    }
