"""Machine-readable outputs of one grading: results.json, Gradescope, JUnit.

Every file is written atomically (:func:`grading.util.io.write_atomic`). The
Gradescope and JUnit outputs hold the student view only: findings with
``audience = "instructor"`` are left out.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from grading.util.io import write_atomic, write_json
from grading.util.text import cap

#: Status words shown to students per item status.
_STATUS_WORDS = {
    "pass": "passed",
    "partial": "partly passed",
    "fail": "failed",
    "manual": "waiting for review by the instructor",
    "error": "could not be graded (grader error)",
    "timeout": "could not be checked in time (it is graded again)",
}


def student_findings(item: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the student-view findings of a scored item."""
    return [f for f in item.get("findings", []) if f.get("audience") != "instructor"]


def _finding_lines(finding: dict[str, Any]) -> list[str]:
    mark = {True: "ok", False: "FAIL", None: "note"}[finding.get("passed")]
    lines = [f"[{mark}] {finding.get('message', '').strip()}"]
    if finding.get("hint"):
        lines.append(f"  hint: {finding['hint'].strip()}")
    if finding.get("evidence") and finding.get("passed") is False:
        evidence = finding["evidence"].strip()
        if len(evidence) > 1500:
            evidence = evidence[:1500] + " [...]"
        lines.append("  seen: " + evidence.replace("\n", "\n        "))
    return lines


#: Longest feedback text of one item, characters.
MAX_ITEM_TEXT = 64 * 1024


def item_text(item: dict[str, Any]) -> str:
    """Plain-text feedback of one item for students (no instructor findings)."""
    lines = [
        f"{item['title']}: {item['points']:g}/{item['max_points']:g} "
        f"({_STATUS_WORDS.get(item['status'], item['status'])})"
    ]
    if item.get("readme") and item["status"] in ("fail", "partial", "error"):
        lines.append(f"Reread: {item['readme']}")
    for finding in student_findings(item):
        lines += _finding_lines(finding)
    return cap("\n".join(lines), MAX_ITEM_TEXT)


def summary_text(results: dict[str, Any]) -> str:
    """One-paragraph student-view summary of a grading."""
    lines = [
        f"{results.get('title') or results['lab']}: score "
        f"{results['score']:g}/{results['max_score']:g}"
    ]
    waiting = [i["title"] for i in results["items"] if i["status"] == "manual"]
    if waiting:
        lines.append(
            "Waiting for review by the instructor: " + "; ".join(waiting) + "."
        )
    notes = [
        f for f in results.get("unassigned", []) if f.get("audience") != "instructor"
    ]
    for finding in notes[:50]:
        lines += _finding_lines(finding)
    if results.get("status") != "graded":
        lines.append(
            f"Grading status: {results.get('status')}. Some parts could not be "
            "graded automatically; the instructor will look at them."
        )
    return cap("\n".join(lines), MAX_ITEM_TEXT)


def gradescope(results: dict[str, Any]) -> dict[str, Any]:
    """Return the Gradescope autograder ``results.json`` of a grading.

    One test per rubric item (``name``, ``score``, ``max_score``, ``output``,
    ``visibility``, ``status``), the total ``score`` and a student-view
    ``output``. Manual items appear with their current points and a note that
    a person still has to review them.
    """
    tests = []
    for item in results["items"]:
        test = {
            "name": item["title"],
            "number": item["id"],
            "score": float(item["points"]),
            "max_score": float(item["max_points"]),
            "output": item_text(item),
            "visibility": "visible",
        }
        if item["status"] in ("pass", "fail"):
            test["status"] = "passed" if item["status"] == "pass" else "failed"
        tests.append(test)
    out: dict[str, Any] = {
        "score": float(results["score"]),
        "output": summary_text(results),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    total = results.get("timings", {}).get("total")
    if total is not None:
        out["execution_time"] = round(float(total), 3)
    return out


def junit(results: dict[str, Any]) -> str:
    """Return a JUnit XML report: one ``testcase`` per rubric item.

    Failed and partial items carry a ``failure`` with the student-view
    messages, error items an ``error``, manual items a ``skipped``.
    """
    items = results["items"]
    suite = ET.Element(
        "testsuite",
        {
            "name": str(results["lab"]),
            "tests": str(len(items)),
            "failures": str(sum(i["status"] in ("fail", "partial") for i in items)),
            "errors": str(sum(i["status"] == "error" for i in items)),
            "skipped": str(sum(i["status"] == "manual" for i in items)),
            "time": f"{float(results.get('timings', {}).get('total', 0.0)):.3f}",
        },
    )
    props = ET.SubElement(suite, "properties")
    for name in ("score", "max_score", "status", "student"):
        if results.get(name) is not None:
            ET.SubElement(
                props, "property", {"name": name, "value": str(results[name])}
            )
    for item in items:
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": f"{results['lab']}", "name": item["id"], "time": "0"},
        )
        cprops = ET.SubElement(case, "properties")
        for name in ("points", "max_points", "status"):
            ET.SubElement(cprops, "property", {"name": name, "value": str(item[name])})
        text = item_text(item)
        headline = (
            f"{item['points']:g}/{item['max_points']:g} points: "
            f"{_STATUS_WORDS.get(item['status'], item['status'])}"
        )
        if item["status"] in ("fail", "partial"):
            node = ET.SubElement(
                case, "failure", {"message": headline, "type": item["status"]}
            )
            node.text = text
        elif item["status"] == "error":
            node = ET.SubElement(
                case, "error", {"message": headline, "type": "grader_error"}
            )
            node.text = text
        elif item["status"] == "manual":
            ET.SubElement(case, "skipped", {"message": headline})
            ET.SubElement(case, "system-out").text = text
        else:
            ET.SubElement(case, "system-out").text = text
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def write_all(results: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write results.json, gradescope/results.json and junit.xml into ``out_dir``."""
    out_dir = Path(out_dir)
    return [
        write_json(out_dir / "results.json", results),
        write_json(out_dir / "gradescope" / "results.json", gradescope(results)),
        write_atomic(out_dir / "junit.xml", junit(results)),
    ]
