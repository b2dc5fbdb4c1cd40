"""Analyse a summary: locate it, read it, and assemble the typed result.

All lab-specific data comes from the ``[summary]`` section of the rubric;
the rubric item each warning concerns is looked up through the items'
``checks`` lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grading.pipeline.rubric import Rubric
from grading.summary import facts as _facts
from grading.summary import images as _images
from grading.summary import locate as _locate
from grading.summary import plausibility, questions
from grading.summary.extract import CONFUSION, Extracted, extract
from grading.summary.limits import Budget, BudgetExceeded, Limits
from grading.summary.markdown import Block
from grading.summary.reader import NAME_CHARS, read_blocks, refuse_complex
from grading.summary.result import (
    Answer,
    Deflation,
    ImageCheck,
    Metrics,
    SummaryResult,
    SummaryWarning,
)
from grading.summary.variants import Variants
from grading.util.text import cap

#: Candidate files listed in the result, at most.
MAX_CANDIDATES = 20
#: Warnings kept, at most (one kind of warning per variant is enough).
MAX_WARNINGS = 60


def lab_data(rubric: Rubric) -> dict[str, Any]:
    """Return the ``[summary]`` data of a rubric plus the summary folder."""
    data = rubric.section("summary")
    data.setdefault("dir", rubric.summary_dir)
    return data


def _empty(located: _locate.Located, data: dict, variants: Variants) -> SummaryResult:
    return SummaryResult(
        file=cap(located.rel, NAME_CHARS) if located.rel else None,
        format=located.format,
        candidates=[cap(c, NAME_CHARS) for c in located.candidates[:MAX_CANDIDATES]],
        variants_expected=list(variants.canonical),
        questions={q["id"]: Answer() for q in data.get("questions", [])},
    )


def _metrics_of(values: dict, missing: dict) -> Metrics:
    row = Metrics(written_missing=dict(missing))
    for key, value in values.items():
        if hasattr(row, key):
            setattr(row, key, value)
    return row


def _fill(result: SummaryResult, found: Extracted, variants: Variants, located):
    """Copy what was extracted into the result, in the lab's variant order."""
    order = {name: i for i, name in enumerate(variants.canonical)}

    def ordered(mapping):
        return sorted(mapping, key=lambda v: order.get(v, len(order)))

    for variant in ordered(found.metrics.keys() | found.missing.keys()):
        row = _metrics_of(
            found.metrics.get(variant, {}), found.missing.get(variant, {})
        )
        if variant == variants.baseline:
            result.baseline.metrics = row
        else:
            result.metrics[variant] = row
    for variant in ordered(found.deflation):
        entry = found.deflation[variant]
        result.deflation[variant] = Deflation(entry["percent"], entry["size_bytes"])
    result.baseline.original_sizes = dict(found.original_sizes)
    summary_dir = located.path.parent
    for variant in ordered(found.images):
        refs = found.images[variant]
        src, _alt, line = next(
            (r for r in refs if CONFUSION.search(r[0] + " " + r[1])), refs[0]
        )
        checked = _images.check_image(src, summary_dir, located.root)
        result.confusion_matrices[variant] = ImageCheck(
            ref=cap(checked["ref"], NAME_CHARS),
            exists=checked["exists"],
            problem=checked["problem"],
            path=cap(checked["path"], NAME_CHARS) if checked["path"] else None,
            message=cap(checked["message"], 2 * NAME_CHARS),
            actual=cap(checked["actual"], NAME_CHARS)
            if checked.get("actual")
            else None,
            line=line,
        )
    names = (
        set(result.metrics)
        | set(result.confusion_matrices)
        | {v for v in result.deflation if v != variants.baseline}
    )
    result.variants_found = [v for v in variants.canonical if v in names]


def _text_of(blocks: list[Block]) -> str:
    return "\n".join(
        b.text if b.kind != "table" else " ".join(" ".join(r) for r in b.rows)
        for b in blocks
    ).lower()


def _lines_of(blocks: list[Block]) -> list[str]:
    """The summary's lines as written (one per table row)."""
    lines: list[str] = []
    for b in blocks:
        if b.kind == "table":
            lines += [" | ".join(r) for r in b.rows]
        else:
            lines += b.text.splitlines()
    return lines


def _extra_warnings(result, found: Extracted, data: dict, text: str) -> list:
    out = []
    guessed = [v for v in found.guessed_units if v in result.deflation]
    if guessed:
        out.append(
            SummaryWarning(
                "size_unit_guessed",
                f"sizes without a unit ({len(guessed)} models, e.g. {guessed[0]}) "
                "were read as KiB, what ls -s and du print",
                check=plausibility.DEFLATION_CHECK,
            )
        )
    seen = set()
    for variant, named, src in found.image_mismatch:
        if variant in seen:
            continue
        seen.add(variant)
        out.append(
            SummaryWarning(
                "image_name_mismatch",
                f"{variant}: the image under it is named after {named} "
                f"({cap(src, NAME_CHARS)})",
                check=plausibility.METRICS_CHECK,
                variant=variant,
            )
        )
    other = [w for w in data.get("other_lab_words", []) if w in text]
    if not result.variants_found and other:
        out.append(
            SummaryWarning(
                "other_lab",
                "this looks like the summary of another lab (it mentions "
                f"{', '.join(other[:3])} and none of the variants of this lab)",
            )
        )
    elif not result.variants_found and not any(
        a.found for a in result.questions.values()
    ):
        out.append(
            SummaryWarning(
                "not_this_lab",
                "no variant of this lab and none of its questions were found: "
                "is this the right file?",
            )
        )
    return out


def _items_of(rubric: Rubric, warnings: list[SummaryWarning]) -> list[SummaryWarning]:
    for warning in warnings:
        if warning.check:
            warning.item = rubric.item_fed_by(warning.check)
    return warnings[:MAX_WARNINGS]


def analyze(path: str | Path, rubric: Rubric) -> SummaryResult:
    """Analyse the summary of a submission.

    Parameters
    ----------
    path : str or Path
        A submission directory (the summary is looked up in the lab's
        summary folder) or a summary file.
    rubric : Rubric
        The lab's rubric (:func:`grading.pipeline.rubric.load_rubric`).

    Returns
    -------
    SummaryResult
        What was read; :meth:`SummaryResult.to_dict` is the summary JSON of
        ``docs/summary-checks.md``. It never raises on bad input; problems
        are listed in ``problems``.
    """
    data = lab_data(rubric)
    variants = Variants(data)
    located = _locate.locate(Path(path), data["dir"])
    result = _empty(located, data, variants)
    for code, message in located.problems[:MAX_CANDIDATES]:
        result.problem(code, cap(message, 2 * NAME_CHARS))
    if located.format == "image" and all(
        _locate.format_of(Path(c)) == "image" for c in located.candidates
    ):
        result.manual_review = (
            f"the summary is {len(located.candidates)} image file(s), "
            "not text: a person reads it"
        )
        return result
    texts = [c for c in located.candidates if _locate.format_of(Path(c)) != "image"]
    if len(texts) > 1:
        shown = ", ".join(cap(t, 80) for t in texts[:6])
        result.problem(
            "several_candidates",
            f"several files could be the summary: {shown}; read {result.file}",
        )
    if located.path is None:
        return result
    limits = Limits.from_data(data)
    budget = Budget(limits.parse_steps)
    blocks = read_blocks(located, limits, result, budget)
    result.steps = budget.used
    if blocks is None:
        return result
    try:
        found = extract(blocks, variants, budget)
    except BudgetExceeded as exc:
        refuse_complex(result, result.file or "the summary", exc)
        return result
    finally:
        result.steps = budget.used
    _fill(result, found, variants, located)
    result.questions = questions.find(
        blocks, data.get("questions", []), int(data.get("min_answer_words", 12))
    )
    text = _text_of(blocks)
    result.facts = _facts.find(_lines_of(blocks), data)
    warnings = plausibility.check(result, data, variants, text)
    warnings += _facts.warnings(result, result.facts, data)
    warnings += _extra_warnings(result, found, data, text)
    result.warnings = _items_of(rubric, warnings)
    return result
