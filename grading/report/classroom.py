"""GitHub Classroom's autograding result, built from a ``results.json``.

GitHub Classroom reads a score from a workflow step output named ``result``:
base64 of ``{"version": 1, "status": "pass"|"fail"|"error", "max_score",
"tests": [{"name", "status", "score", "message", "duration"}]}``; its
grading-reporter action posts "Points X/Y". This module is public: the
student template ships it, and ``python -m grading classroom`` prints it.
"""

from __future__ import annotations

import base64
import json
from typing import Any

_CLASSROOM_STATUS = {
    "pass": "pass",
    "partial": "fail",
    "fail": "fail",
    "error": "error",
    # A time limit is never a failure: Classroom shows it as an error.
    "timeout": "error",
}

#: What a timed-out item says first: it was not checked, it did not fail.
TIMEOUT_MESSAGE = "could not check: time limit"


def run_status(results: dict[str, Any]) -> str:
    """Return how a grading run ended: ``graded``, ``error`` or ``timeout``.

    A run is ``timeout`` when ``results.json`` says so at the top or any
    item could not be checked in time (item status ``timeout``), ``error``
    when it says ``error`` (or anything unknown), and ``graded`` otherwise.
    """
    status = results.get("status", "graded")
    if status == "timeout" or any(
        isinstance(item, dict) and item.get("status") == "timeout"
        for item in results.get("items", [])
    ):
        return "timeout"
    return "graded" if status in (None, "graded") else "error"


def _item_message(item: dict[str, Any]) -> str:
    status = item.get("status", "")
    head = f"{item.get('points', 0):g}/{item.get('max_points', 0):g} points ({status})"
    if status == "timeout":
        head = f"{head}: {TIMEOUT_MESSAGE}."
    notes = []
    for finding in item.get("findings", []):
        if finding.get("audience") == "instructor":
            continue
        if finding.get("passed") is True and status == "pass":
            continue
        text = str(finding.get("message", "")).strip()
        if text and text not in notes:
            notes.append(text)
    if notes:
        head += (" " if status == "timeout" else ": ") + " ".join(notes[:3])
    if len(head) > 500:
        head = head[:497] + "..."
    return head


def classroom_result(results: dict[str, Any]) -> dict[str, Any]:
    """Turn a ``results.json`` into GitHub Classroom's autograding result.

    Parameters
    ----------
    results : dict
        The content of ``OUT/results.json`` written by ``grade``.

    Returns
    -------
    dict
        ``{"version": 1, "status", "max_score", "tests": [{"name", "status",
        "score", "message", "duration"}]}``. One test per automatically scored
        rubric item, with its partial score; items a person grades later
        (``kind = "manual"``) are left out of both the tests and
        ``max_score``, so "Points X/Y" shows the automatic part only. Messages
        are finding messages for students: no test source, no evidence.
        A run stopped by a time limit or a grader error (:func:`run_status`)
        is ``"error"``, never ``"fail"``: a timed-out item's test is
        ``"error"`` with the message "could not check: time limit".
    """
    ended = run_status(results)
    items = [i for i in results.get("items", []) if isinstance(i, dict)]
    if ended != "graded" and not items:
        what = results.get("status") if ended == "error" else "time limit"
        return classroom_error(f"Grading did not finish ({what}).")
    tests = []
    max_score = 0.0
    for item in items:
        if item.get("kind") == "manual" and item.get("source") != "override":
            continue
        max_score += float(item.get("max_points", 0))
        status = _CLASSROOM_STATUS.get(item.get("status", ""), "fail")
        tests.append(
            {
                "name": item.get("title") or item.get("id", "item"),
                "status": status,
                "score": float(item.get("points", 0)),
                "message": _item_message(item),
                "duration": 0,
            }
        )
    overall = "pass" if tests and all(t["status"] == "pass" for t in tests) else "fail"
    errors = any(t["status"] == "error" for t in tests)
    if errors and not any(t["score"] for t in tests):
        overall = "error"
    if ended != "graded":
        overall = "error"
    return {"version": 1, "status": overall, "max_score": max_score, "tests": tests}


def classroom_error(message: str) -> dict[str, Any]:
    """Return a Classroom result saying that grading could not run."""
    return {
        "version": 1,
        "status": "error",
        "max_score": 0,
        "tests": [
            {
                "name": "grading",
                "status": "error",
                "score": 0,
                "message": message,
                "duration": 0,
            }
        ],
    }


def encode_classroom(result: dict[str, Any]) -> str:
    """Return ``result`` as the base64 JSON string of the ``result`` step output."""
    return base64.b64encode(json.dumps(result).encode("utf-8")).decode("ascii")
