"""Turn a read summary into findings for the rubric.

Each observation becomes a finding whose ``check`` the rubric's items name:
``summary.metrics``, ``summary.confusion_matrices``, ``summary.deflation``,
``summary.question_<n>``, plus ``summary.file`` (which file, what is wrong
with it) and ``summary.plausibility`` (instructor-only warnings with
``passed=None``, never deducted). A summary a person must read (PDF, image,
too large, too complex, unreadable) turns every item into a
``manual_review`` finding. Every string that comes from the submission is
capped before it reaches a finding.
"""

from __future__ import annotations

from grading.pipeline.findings import Finding
from grading.pipeline.rubric import Rubric
from grading.summary.analysis import lab_data
from grading.summary.answers import Assessment, assess
from grading.summary.result import METRIC_KEYS, SummaryResult
from grading.util.text import cap

METRICS = "summary.metrics"
CONFUSION = "summary.confusion_matrices"
DEFLATION = "summary.deflation"
#: Problems that leave nothing to read (the items fail rather than wait).
BLOCKING = ("no_folder", "empty_folder", "empty", "outside", "unreadable")
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
#: Longest message and evidence built from the submission, in characters.
MESSAGE_CHARS = 600
EVIDENCE_CHARS = 2000


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.4g}"


def _file_hint(code: str, where: str) -> str:
    return {
        "no_folder": f"Create {where}/ and write the summary there as summary.md.",
        "folder_name": f"Rename the folder to {where}/.",
        "empty_folder": f"Write the summary as {where}/summary.md and commit it.",
        "several_candidates": "Keep one summary file in the folder, or name the one to "
        "grade summary.md.",
        "not_utf8": "Save the file as UTF-8 (most editors offer it under Save As).",
        "too_large": "Keep the summary small; link images instead of embedding them.",
        "too_complex": "Write the summary as plain Markdown: headings, lists and "
        "tables.",
        "invisible_characters": "Retype the affected words or save the file as plain "
        "text; the grader reads the text without these characters.",
        "binary": "Write the summary in Markdown (.md).",
        "empty": "Write the summary and commit it.",
        "outside": "Commit the file itself instead of a link.",
    }.get(code, "")


class _Items:
    """The rubric item of each summary check, and the question checks."""

    def __init__(self, rubric: Rubric) -> None:
        self.rubric = rubric
        self.questions = lab_data(rubric).get("questions", [])
        self.question_checks = [
            f"summary.question_{n}" for n in range(1, len(self.questions) + 1)
        ]

    def of(self, check: str, default: str = "") -> str:
        return self.rubric.item_fed_by(check, default)

    def scored(self) -> list[str]:
        return [*self.fed((METRICS, CONFUSION, DEFLATION)), *self.question_checks]

    def fed(self, checks) -> list[str]:
        """The built-in checks some rubric item uses, plus every fact check."""
        built_in = [c for c in checks if c != DEFLATION or self.of(c)]
        facts = lab_data(self.rubric).get("facts", [])
        return built_in + [f"summary.{f['id']}" for f in facts]


def _file_findings(result: SummaryResult, where: str) -> list[Finding]:
    out = []
    for problem in result.problems:
        out.append(
            Finding(
                check="summary.file",
                item="",
                passed=False if problem.code in BLOCKING else None,
                message=cap(problem.message, MESSAGE_CHARS).capitalize(),
                hint=_file_hint(problem.code, where),
                code=problem.code,
            )
        )
    return out


def _no_summary(items: _Items, where: str) -> list[Finding]:
    reason = f"No summary was found in {where}/."
    out = [
        Finding(
            check=check,
            item=items.of(check),
            passed=False,
            message=reason,
            hint=f"Write the summary as {where}/summary.md and commit it.",
            code="no_summary",
        )
        for check in items.fed((METRICS, CONFUSION, DEFLATION))
    ]
    for n, check in enumerate(items.question_checks, start=1):
        out.append(
            Finding(
                check=check,
                item=items.of(check),
                passed=None,
                score=0.0,
                message=f"Question {n}: {reason}",
                code="no_summary",
            )
        )
    return out


def _manual(result: SummaryResult, items: _Items) -> list[Finding]:
    out = []
    for check in items.scored():
        evidence = ""
        if check in items.question_checks:
            question = items.questions[items.question_checks.index(check)]
            answer = result.questions.get(question["id"])
            evidence = answer.excerpt if answer is not None else ""
        out.append(
            Finding(
                check=check,
                item=items.of(check),
                passed=None,
                message=f"Sent to manual review: {result.manual_review}.",
                hint="A Markdown summary can be checked automatically; "
                "see the README of the summaries folder.",
                code="manual_review",
                evidence=cap(evidence, EVIDENCE_CHARS),
                data={"file": result.file},
            )
        )
    return out


def _metrics(result: SummaryResult, items: _Items) -> Finding:
    expected = result.variants_expected
    lines, missing, earned, complete = [], [], 0.0, 0
    for variant in expected:
        row = result.metrics.get(variant)
        if row is None:
            missing.append(f"{variant} (all)")
            continue
        lacking = row.lacking()
        earned += (len(METRIC_KEYS) - len(lacking)) / len(METRIC_KEYS)
        complete += not lacking
        if lacking:
            shown = [
                SHOWN[k]
                + (
                    f" written as {row.written_missing[k]}"
                    if k in row.written_missing
                    else ""
                )
                for k in lacking
            ]
            missing.append(f"{variant} ({', '.join(shown)})")
        lines.append(
            f"{variant}: "
            + ", ".join(f"{SHOWN[k]} {_fmt(row.get(k))}" for k in METRIC_KEYS)
        )
    fraction = earned / (len(expected) or 1)
    empty = result.has_problem("empty")
    message = (
        "The summary is empty."
        if empty
        else f"Metrics complete for {complete} of {len(expected)} variants."
        + (f" Missing: {'; '.join(missing[:8])}." if missing else "")
    )
    return Finding(
        check=METRICS,
        item=items.of(METRICS),
        passed=fraction >= 1.0,
        score=fraction,
        message=cap(message, MESSAGE_CHARS),
        hint=""
        if fraction >= 1.0
        else "Give accuracy, mean precision, mean sensitivity, "
        "G-mean and inference time for every variant, e.g. one table per method.",
        evidence="\n".join(lines),
        code="complete" if fraction >= 1.0 else "incomplete",
        data={"variants_found": list(result.variants_found)},
    )


def _confusion(result: SummaryResult, items: _Items) -> Finding:
    expected = result.variants_expected
    good = [
        v
        for v in expected
        if v in result.confusion_matrices and (result.confusion_matrices[v].exists)
    ]
    notes, hints = [], []
    for variant in expected:
        entry = result.confusion_matrices.get(variant)
        if entry is None:
            notes.append(f"{variant}: no image")
        elif entry.problem:
            notes.append(f"{variant}: {entry.message}")
            if HINTS[entry.problem] not in hints:
                hints.append(HINTS[entry.problem])
    more = f" (and {len(notes) - 1} more)" if len(notes) > 1 else ""
    hint = " ".join(hints) or (
        "Add the confusion-matrix image of each variant under its metrics, "
        "e.g. ![](img/<variant>-confusion-matrix.png)."
        if notes
        else ""
    )
    return Finding(
        check=CONFUSION,
        item=items.of(CONFUSION),
        passed=len(good) == len(expected),
        score=len(good) / (len(expected) or 1),
        message=cap(
            f"Confusion matrices present for {len(good)} of {len(expected)} variants."
            + (f" {notes[0]}{more}" if notes else ""),
            MESSAGE_CHARS,
        ),
        hint=hint,
        evidence=cap("\n".join(notes), EVIDENCE_CHARS),
        code="complete" if not notes else "incomplete",
    )


def _deflation(result: SummaryResult, items: _Items) -> Finding:
    expected = result.variants_expected
    lines, lacking = [], []
    for variant in expected:
        entry = result.deflation.get(variant)
        percent = entry.percent if entry else None
        size = entry.size_bytes if entry else None
        if entry is None or not entry.complete:
            lacking.append(variant)
        lines.append(
            f"{variant}: deflated {_fmt(percent)} %, size "
            f"{'-' if size is None else f'{size:,} B'}"
        )
    both = len(expected) - len(lacking)
    return Finding(
        check=DEFLATION,
        item=items.of(DEFLATION),
        passed=both == len(expected),
        score=both / (len(expected) or 1),
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


#: Who sees a suggestion before a person decided the item (``reveal`` of
#: ``[summary.assess]``): ``after_review`` (the instructor) or ``always``.
REVEAL = ("after_review", "always")


def _assessments(result: SummaryResult, data: dict) -> dict[str, Assessment]:
    try:
        return assess(result, data)
    except Exception as exc:  # noqa: BLE001 - an assessor bug never loses the summary
        return {
            q["id"]: Assessment(
                None,
                [f"the assessor failed ({exc.__class__.__name__}); a person grades it"],
                "not_assessed",
                "assessor error",
            )
            for q in data.get("questions", [])
            if isinstance(q.get("assess"), dict)
        }


def _assessment_finding(
    got: Assessment, n: int, check: str, item: str, reveal: str
) -> Finding:
    """The suggestion for one answer: instructor-only unless ``reveal`` says."""
    if got.score is None:
        message = f"Question {n}: no suggestion ({got.summary}); a person grades it."
    else:
        message = (
            f"Question {n}: your answer compared with your own table "
            f"({got.kind.replace('_', ' ')}): {got.summary}."
        )
    return Finding(
        check=check,
        item=item,
        passed=None,
        score=got.score,
        message=message,
        evidence=cap("\n".join(f"- {line}" for line in got.evidence), EVIDENCE_CHARS),
        code="assessment" if got.score is not None else "not_assessed",
        audience="student" if reveal == "always" else "instructor",
        data={
            "suggested": got.score,
            "kind": got.kind,
            "reveal": reveal,
            "outcome": got.code,
        },
    )


def _facts(result: SummaryResult, items: _Items) -> list[Finding]:
    out = []
    for spec in lab_data(items.rubric).get("facts", []):
        check = f"summary.{spec['id']}"
        fact = result.facts.get(spec["id"])
        found = fact.found if fact else {}
        scored = fact.scored if fact else []
        missing = [g for g in scored if g not in found]
        share = (len(scored) - len(missing)) / (len(scored) or 1)
        names = {g["name"]: g.get("title", g["name"]) for g in spec.get("groups", [])}
        out.append(
            Finding(
                check=check,
                item=items.of(check),
                passed=not missing,
                score=share,
                message=f"{spec.get('title', spec['id'])}: "
                + (
                    "found."
                    if not missing
                    else "not found: " + ", ".join(names[g] for g in missing) + "."
                ),
                hint=spec.get("hint", "") if missing else "",
                evidence=cap(
                    "\n".join(
                        f"{names.get(g, g)}: {line}" for g, line in found.items()
                    ),
                    EVIDENCE_CHARS,
                ),
                code="complete" if not missing else "incomplete",
            )
        )
    return out


def _questions(result: SummaryResult, items: _Items) -> list[Finding]:
    data = lab_data(items.rubric)
    assessed = _assessments(result, data)
    reveal = str(data.get("assess", {}).get("reveal", "after_review"))
    reveal = reveal if reveal in REVEAL else "after_review"
    out = []
    for n, (question, check) in enumerate(
        zip(items.questions, items.question_checks, strict=True), start=1
    ):
        got = result.questions.get(question["id"])
        item = items.of(check, question.get("item", ""))
        topic = question.get("topic", "")
        assessment = assessed.get(question["id"])
        if assessment is not None:
            out.append(_assessment_finding(assessment, n, check, item, reveal))
        if got is None or not got.found:
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
        out.append(
            Finding(
                check=check,
                item=item,
                passed=None,
                # Finding the answer says nothing of its worth: without an
                # assessor a person reads it (no suggested points).
                score=None,
                message=f"Answer to question {n} ({topic}) found under "
                f'"{cap(got.heading or "", 100)}" (line {got.line}, {got.words} '
                "words); a person grades it.",
                hint="The answer is short; say why, with numbers from your results."
                if got.short
                else "",
                evidence=cap(got.excerpt, EVIDENCE_CHARS),
                code="answer_short" if got.short else "answer_found",
                data={"line": got.line, "words": got.words},
            )
        )
    return out


def findings_of(result: SummaryResult, rubric: Rubric) -> list[Finding]:
    """Turn a read summary into findings.

    Parameters
    ----------
    result : SummaryResult
        From :func:`grading.summary.analyze`.
    rubric : Rubric
        The lab's rubric (item ids are looked up by check id).

    Returns
    -------
    list of Finding
    """
    items = _Items(rubric)
    where = lab_data(rubric)["dir"]
    out = _file_findings(result, where)
    if result.file is None:
        return out + _no_summary(items, where)
    out.append(
        Finding(
            check="summary.file",
            item="",
            passed=None,
            message=f"Summary read from {result.file} ({result.format}).",
            code="read",
            data={"file": result.file, "format": result.format},
        )
    )
    if result.manual_review:
        return out + _manual(result, items)
    out += [_metrics(result, items), _confusion(result, items)]
    if items.of(DEFLATION):
        out.append(_deflation(result, items))
    out += [*_facts(result, items), *_questions(result, items)]
    for warning in result.warnings:
        out.append(
            Finding(
                check="summary.plausibility",
                item=warning.item,
                passed=None,
                message=cap(warning.message, MESSAGE_CHARS),
                code=warning.code,
                audience="instructor",
                data={"variant": warning.variant},
            )
        )
    return out
