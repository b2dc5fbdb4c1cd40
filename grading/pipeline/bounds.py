"""Bounds on everything a submission can make the grader write.

A submission controls much of the text that reaches the outputs: exception
messages, file names, commit subjects, summary excerpts. Without bounds a
10 MB commit subject becomes a 130 MB ``results.json``. Two layers:

- :func:`bound_finding` caps every string of a finding (message, hint,
  evidence, and every string, list and mapping in ``data``) with
  :func:`grading.util.text.cap`, whatever check made it, and
  :func:`bound_details` the details of each check;
- :func:`fit_results` keeps ``results.json`` under :data:`MAX_RESULTS_BYTES`
  by shortening the longest texts further, and :func:`cap_text_file` keeps a
  rendered report under :data:`MAX_REPORT_BYTES`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grading.pipeline.findings import Finding
from grading.util.io import write_atomic
from grading.util.text import cap

#: Longest message, hint and evidence of one finding, characters.
MAX_MESSAGE, MAX_HINT, MAX_EVIDENCE = 3000, 1500, 4000
#: Longest id-like field (check, item, code), characters.
MAX_ID = 200
#: Longest string inside ``data``, and most entries of a list or mapping.
MAX_DATA_STRING, MAX_DATA_ENTRIES = 500, 50
#: Largest results.json and Gradescope file, bytes.
MAX_RESULTS_BYTES = 4 * 1024 * 1024
#: Largest rendered report (HTML or Markdown) and JUnit file, bytes.
MAX_REPORT_BYTES = 8 * 1024 * 1024


#: The same for a check's ``details`` (kept for the instructor's reports).
MAX_DETAIL_STRING, MAX_DETAIL_ENTRIES = 2000, 1000


def bound_data(
    value: Any,
    depth: int = 0,
    *,
    limit: int = MAX_DATA_STRING,
    entries: int = MAX_DATA_ENTRIES,
) -> Any:
    """``value`` with every string capped, lists and mappings shortened."""
    if isinstance(value, str):
        return cap(value, limit)
    if depth > 12:
        return None
    more = {"limit": limit, "entries": entries}
    if isinstance(value, dict):
        items = list(value.items())[:entries]
        return {cap(str(k), MAX_ID): bound_data(v, depth + 1, **more) for k, v in items}
    if isinstance(value, list | tuple):
        return [bound_data(v, depth + 1, **more) for v in list(value)[:entries]]
    return value


def bound_details(details: Any) -> Any:
    """A check's ``details`` with every string and list bounded."""
    return bound_data(details, limit=MAX_DETAIL_STRING, entries=MAX_DETAIL_ENTRIES)


def bound_finding(finding: Finding) -> Finding:
    """Cap every string of ``finding`` in place; return it."""
    finding.check = cap(str(finding.check), MAX_ID)
    finding.item = cap(str(finding.item), MAX_ID)
    finding.code = cap(str(finding.code), MAX_ID)
    finding.message = cap(str(finding.message), MAX_MESSAGE)
    finding.hint = cap(str(finding.hint), MAX_HINT)
    finding.evidence = cap(str(finding.evidence), MAX_EVIDENCE)
    finding.data = bound_data(finding.data) if isinstance(finding.data, dict) else {}
    return finding


def _size(data: Any) -> int:
    return len(json.dumps(data, ensure_ascii=False).encode("utf-8"))


def _findings(results: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(results.get("unassigned", []))
    for item in results.get("items", []):
        found += item.get("findings", [])
    return found


def fit_results(results: dict[str, Any], limit: int = MAX_RESULTS_BYTES) -> bool:
    """Shorten the texts of ``results`` in place until it fits in ``limit``.

    Evidence goes first, then ``data`` extras, then messages and hints are
    cut to a few hundred characters; scores and statuses never change.
    Returns True when anything was shortened.
    """
    if _size(results) <= limit:
        return False
    steps = (
        ("evidence", 500),
        ("data", 0),
        ("evidence", 0),
        ("hint", 300),
        ("message", 500),
        ("message", 120),
    )
    for field, keep in steps:
        for finding in _findings(results):
            if field == "data":
                finding["data"] = {}
            elif isinstance(finding.get(field), str):
                finding[field] = cap(finding[field], keep) if keep else ""
        for check in results.get("checks", {}).values():
            if isinstance(check, dict) and field == "data":
                check["details"] = {"left_out": "too large for results.json"}
        if _size(results) <= limit:
            break
    results["truncated"] = True
    return True


def cap_text_file(path: Path, limit: int = MAX_REPORT_BYTES) -> bool:
    """Cut a rendered text file to ``limit`` bytes, saying so at its end."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        return False
    if size <= limit:
        return False
    raw = path.read_bytes()[: max(0, limit - 200)]
    note = "\n\n[... the rest of this report was left out: it was too large ...]\n"
    write_atomic(path, raw.decode("utf-8", "ignore") + note)
    return True
