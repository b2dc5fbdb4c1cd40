"""Check ``summary``: read the lab summary and turn it into findings.

The reading is done by :func:`grading.summary.analyze`; this module only
decides what each observation means for the rubric items whose ``checks``
name ``summary.metrics``, ``summary.confusion_matrices``,
``summary.deflation`` and ``summary.question_<n>``. Plausibility warnings
become instructor-only findings with ``passed=None`` (no deduction). A PDF
or image-only summary turns every item into a ``manual_review`` finding.
"""

from __future__ import annotations

import time
from typing import Any

from grading.checks import CheckContext, CheckResult
from grading.pipeline.findings import Finding
from grading.pipeline.rubric import Rubric
from grading.summary import METRIC_KEYS, analyze, lab_data

NAME = "summary"
SHOWN = {
    "accuracy": "accuracy",
    "precision": "mean precision",
    "sensitivity": "mean sensitivity",
    "g_mean": "G-mean",
    "inference_ms": "inference time",
}
HINTS = {
    "missing": "Commit the image (git add -f if .gitignore hides it) or fix the path; "
    "paths are relative to the summary file.",
    "wrong_case": "Rename the file or the link so that the letter case matches.",
    "not_image": "Link the PNG written by test_inference, not another file.",
    "outside": "Copy the image into the img/ folder next to the summary and link it "
    "with a relative path.",
    "remote": "Copy the image into the img/ folder next to the summary and link it "
    "with a relative path.",
    "empty": "Write the path of the image between the parentheses: ![](img/x.png).",
}


def _item_of(rubric: Rubric, check: str, default: str = "") -> str:
    """Return the id of the rubric item whose checks list ``check``."""
    return rubric.item_fed_by(check, default)


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.4g}"


def findings_of(result: dict[str, Any], rubric: Rubric) -> list[Finding]:
    """Turn the summary JSON into findings.

    Parameters
    ----------
    result : dict
        From :func:`grading.summary.analyze`.
    rubric : Rubric
        The lab's rubric (item ids are looked up by check id).

    Returns
    -------
    list of Finding
    """
    data = lab_data(rubric)
    where = data["dir"]
    expected = result["variants_expected"]
    count = len(expected) or 1
    questions = data.get("questions", [])
    ids = {
        "metrics": "summary.metrics",
        "cm": "summary.confusion_matrices",
        "deflation": "summary.deflation",
    }
    q_checks = [f"summary.question_{n}" for n in range(1, len(questions) + 1)]
    items = {key: _item_of(rubric, check) for key, check in ids.items()}
    out: list[Finding] = []
    file = result["file"]
    for problem in result["problems"]:
        code = problem["code"]
        blocking = code in (
            "no_folder",
            "empty_folder",
            "empty",
            "outside",
            "unreadable",
        )
        out.append(
            Finding(
                check="summary.file",
                item="",
                passed=False if blocking else None,
                message=problem["message"][:500].capitalize(),
                hint=_file_hint(code, where),
                code=code,
            )
        )
    if file is None:
        reason = f"No summary was found in {where}/."
        for key, check in ids.items():
            out.append(
                Finding(
                    check=check,
                    item=items[key],
                    passed=False,
                    message=reason,
                    hint=f"Write the summary as {where}/summary.md and commit it.",
                    code="no_summary",
                )
            )
        for n, check in enumerate(q_checks, start=1):
            out.append(
                Finding(
                    check=check,
                    item=_item_of(rubric, check),
                    passed=None,
                    score=0.0,
                    message=f"Question {n}: {reason}",
                    code="no_summary",
                )
            )
        return out
    out.append(
        Finding(
            check="summary.file",
            item="",
            passed=None,
            message=f"Summary read from {file} ({result['format']}).",
            code="read",
            data={"file": file, "format": result["format"]},
        )
    )
    review = result.get("manual_review")
    if review:
        answers = [result["questions"].get(q["id"], {}) for q in questions]
        for key, check in [*ids.items(), *((c, c) for c in q_checks)]:
            item = items.get(key) or _item_of(rubric, check)
            evidence = ""
            if check in q_checks:
                evidence = answers[q_checks.index(check)].get("excerpt", "")
            out.append(
                Finding(
                    check=check,
                    item=item,
                    passed=None,
                    message=f"Sent to manual review: {review}.",
                    hint="A Markdown summary can be checked automatically; "
                    "see the README of the summaries folder.",
                    code="manual_review",
                    evidence=evidence,
                    data={"file": file},
                )
            )
        return out
    empty = any(p["code"] == "empty" for p in result["problems"])
    # metrics
    metrics = result["metrics"]
    lines, missing = [], []
    earned = 0.0
    for variant in expected:
        row = metrics.get(variant)
        if row is None:
            missing.append(f"{variant} (all)")
            continue
        have = [k for k in METRIC_KEYS if row.get(k) is not None]
        earned += len(have) / len(METRIC_KEYS)
        lacking = [SHOWN[k] for k in METRIC_KEYS if row.get(k) is None]
        if lacking:
            missing.append(f"{variant} ({', '.join(lacking)})")
        lines.append(
            f"{variant}: "
            + ", ".join(f"{SHOWN[k]} {_fmt(row.get(k))}" for k in METRIC_KEYS)
        )
    fraction = earned / count
    complete = sum(
        1
        for v in expected
        if v in metrics and all(metrics[v].get(k) is not None for k in METRIC_KEYS)
    )
    out.append(
        Finding(
            check=ids["metrics"],
            item=items["metrics"],
            passed=fraction >= 1.0,
            score=fraction,
            message=(
                "The summary is empty."
                if empty
                else f"Metrics complete for {complete} of {len(expected)} variants."
                + (f" Missing: {'; '.join(missing[:8])}." if missing else "")
            ),
            hint=""
            if fraction >= 1.0
            else "Give accuracy, mean precision, mean sensitivity, "
            "G-mean and inference time for every variant, e.g. one table per method.",
            evidence="\n".join(lines),
            code="complete" if fraction >= 1.0 else "incomplete",
            data={"variants_found": result["variants_found"]},
        )
    )
    # confusion matrices
    cms = result["confusion_matrices"]
    good = [v for v in expected if cms.get(v, {}).get("exists")]
    notes = []
    hints = []
    for variant in expected:
        entry = cms.get(variant)
        if entry is None:
            notes.append(f"{variant}: no image")
        elif entry["problem"]:
            notes.append(f"{variant}: {entry['message']}")
            if HINTS[entry["problem"]] not in hints:
                hints.append(HINTS[entry["problem"]])
    out.append(
        Finding(
            check=ids["cm"],
            item=items["cm"],
            passed=len(good) == len(expected),
            score=len(good) / count,
            message=f"Confusion matrices present for {len(good)} of {len(expected)} "
            "variants."
            + (
                f" {notes[0]}"
                + (f" (and {len(notes) - 1} more)" if len(notes) > 1 else "")
                if notes
                else ""
            ),
            hint=" ".join(hints)
            or (
                ""
                if not notes
                else "Add the confusion-matrix image of each variant under "
                "its metrics, e.g. ![](img/<variant>-confusion-matrix.png)."
            ),
            evidence="\n".join(notes),
            code="complete" if not notes else "incomplete",
        )
    )
    # deflation
    deflation = result["deflation"]
    lines, both = [], 0
    for variant in expected:
        entry = deflation.get(variant) or {}
        percent, size = entry.get("percent"), entry.get("size_bytes")
        both += percent is not None and size is not None
        lines.append(
            f"{variant}: deflated {_fmt(percent)} %, size "
            f"{'-' if size is None else f'{size:,} B'}"
        )
    lacking = [
        v
        for v in expected
        if None
        in (
            (deflation.get(v) or {}).get("percent"),
            (deflation.get(v) or {}).get("size_bytes"),
        )
    ]
    out.append(
        Finding(
            check=ids["deflation"],
            item=items["deflation"],
            passed=both == len(expected),
            score=both / count,
            message=f"Deflation and compressed size given for {both} of "
            f"{len(expected)} models."
            + (f" Missing or incomplete: {', '.join(lacking)}." if lacking else ""),
            hint=""
            if not lacking
            else "For each model give the percentage that zip prints "
            "(deflated NN%) and the size of the .zip file, e.g. in one table.",
            evidence="\n".join(lines),
            code="complete" if not lacking else "incomplete",
        )
    )
    # questions
    for n, (question, check) in enumerate(
        zip(questions, q_checks, strict=True), start=1
    ):
        got = result["questions"].get(question["id"], {})
        item = _item_of(rubric, check, question.get("item", ""))
        topic = question.get("topic", "")
        if not got.get("found"):
            out.append(
                Finding(
                    check=check,
                    item=item,
                    passed=None,
                    score=0.0,
                    message=f"No answer to question {n} ({topic}) was found.",
                    hint="Put each question in its own heading and the answer "
                    "below it.",
                    code="not_found",
                )
            )
            continue
        short = got.get("short", False)
        out.append(
            Finding(
                check=check,
                item=item,
                passed=None,
                score=0.5 if short else 1.0,
                message=f"Answer to question {n} ({topic}) found under "
                f'"{got["heading"][:100]}" (line {got["line"]}, {got["words"]} words); '
                "a person grades it.",
                hint="The answer is short; say why, with numbers from your results."
                if short
                else "",
                evidence=got["excerpt"],
                code="answer_short" if short else "answer_found",
                data={"line": got["line"], "words": got["words"]},
            )
        )
    for warning in result["warnings"]:
        out.append(
            Finding(
                check="summary.plausibility",
                item=warning.get("item", ""),
                passed=None,
                message=warning["message"],
                code=warning["code"],
                audience="instructor",
                data={"variant": warning.get("variant")},
            )
        )
    return out


def _file_hint(code: str, where: str) -> str:
    return {
        "no_folder": f"Create {where}/ and write the summary there as summary.md.",
        "folder_name": f"Rename the folder to {where}/.",
        "empty_folder": f"Write the summary as {where}/summary.md and commit it.",
        "several_candidates": "Keep one summary file in the folder, or name the one to "
        "grade summary.md.",
        "not_utf8": "Save the file as UTF-8 (most editors offer it under Save As).",
        "too_large": "Keep the summary small; link images instead of embedding them.",
        "binary": "Write the summary in Markdown (.md).",
        "empty": "Write the summary and commit it.",
        "outside": "Commit the file itself instead of a link.",
    }.get(code, "")


def run(ctx: CheckContext) -> CheckResult:
    """Read the summary of ``ctx.submission`` and return findings and its JSON.

    Parameters
    ----------
    ctx : CheckContext
        The submission and the parsed rubric.

    Returns
    -------
    CheckResult
        Findings for the summary items; ``details`` is the summary JSON.
    """
    start = time.perf_counter()
    if not ctx.rubric.has_section("summary"):
        finding = Finding(
            check="summary.file",
            item="",
            passed=None,
            message=f"The rubric of {ctx.lab} has no [summary] section, so "
            "the summary was not checked.",
            code="no_lab_data",
            audience="instructor",
        )
        return CheckResult([finding], {}, time.perf_counter() - start)
    try:
        result = analyze(ctx.submission, ctx.rubric)
        findings = findings_of(result, ctx.rubric)
    except Exception as exc:  # noqa: BLE001 - never lose a grading run to a summary
        result = {"error": f"{exc.__class__.__name__}: {exc}"}
        findings = [
            Finding(
                check="summary.file",
                item="",
                passed=None,
                code="grader_error",
                message=f"The summary check failed on this submission "
                f"({exc.__class__.__name__}); the summary items need a person.",
                audience="instructor",
            )
        ]
    return CheckResult(findings, result, time.perf_counter() - start)
