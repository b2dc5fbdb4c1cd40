"""Read a lab summary as an instructor would.

:func:`analyze` finds the summary of a submission, parses it (Markdown with
markdown-it-py, notebooks with nbformat, PDFs with pypdf for evidence only),
and returns the plain JSON described in ``docs/summary-checks.md``: the
variants found, their metrics and confusion matrices, the ZIP deflation and
compressed size of each model, the answers to the questions, and
plausibility warnings. :mod:`grading.checks.summary` turns it into findings.
All lab-specific data comes from the ``[summary]`` section of the rubric.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grading.pipeline.rubric import Rubric
from grading.summary import extract as _extract
from grading.summary import images as _images
from grading.summary import locate as _locate
from grading.summary import markdown as _markdown
from grading.summary import plausibility, questions
from grading.summary.variants import Variants

METRIC_KEYS = _extract.METRICS
MANUAL_FORMATS = {
    "pdf": "the summary is a PDF: its tables cannot be read reliably, so a person "
    "checks the metrics, the deflation and the answers",
    "image": "the summary is an image: a person reads it",
    "document": "the summary is a word-processor document: a person reads it "
    "(Markdown is recommended)",
    "unknown": "the summary has a file type the grader does not read: "
    "a person reads it",
}


def lab_data(rubric: Rubric) -> dict[str, Any]:
    """Return the ``[summary]`` data of a rubric plus the summary folder."""
    data = rubric.section("summary")
    data.setdefault("dir", rubric.summary_dir)
    return data


def _empty_result(
    located: _locate.Located, data: dict, variants: Variants
) -> dict[str, Any]:
    return {
        "file": located.rel,
        "format": located.format,
        "candidates": located.candidates,
        "encoding": None,
        "manual_review": None,
        "variants_expected": variants.canonical,
        "variants_found": [],
        "metrics": {},
        "confusion_matrices": {},
        "deflation": {},
        "baseline": {},
        "questions": {
            q["id"]: {
                "found": False,
                "heading": None,
                "excerpt": "",
                "words": 0,
                "line": None,
            }
            for q in data.get("questions", [])
        },
        "problems": [{"code": c, "message": m} for c, m in located.problems],
        "warnings": [],
    }


def _problem(result: dict, code: str, message: str) -> None:
    result["problems"].append({"code": code, "message": message})


def _blocks(located: _locate.Located, data: dict, result: dict):
    """Read the located file into blocks; None when it cannot be parsed."""
    fmt = located.format
    text_cap = int(data.get("max_text_bytes", 2_000_000))
    binary_cap = int(data.get("max_binary_bytes", 16_000_000))
    cap = text_cap if fmt in ("markdown", "text", "html") else binary_cap
    try:
        raw, truncated = _locate.read_bytes(located.path, cap)
    except OSError as exc:
        _problem(
            result, "unreadable", f"cannot read {located.rel}: {exc.strerror or exc}"
        )
        result["manual_review"] = f"the summary file could not be read ({exc.strerror})"
        return None
    if truncated:
        _problem(
            result,
            "too_large",
            f"{located.rel} is larger than {cap // 1_000_000} MB; it was not parsed",
        )
        result["manual_review"] = (
            f"the summary is larger than {cap // 1_000_000} MB, "
            "so it was not parsed; a person reads it"
        )
        return None
    if not raw.strip():
        _problem(result, "empty", f"{located.rel} is empty")
        return None
    if fmt in MANUAL_FORMATS:
        result["manual_review"] = MANUAL_FORMATS[fmt]
        if fmt != "pdf":
            return None
        from grading.summary import pdf

        try:
            text, pages = pdf.text(raw)
        except ValueError as exc:
            _problem(result, "unreadable", f"{located.rel}: {exc}")
            return None
        result["pages"] = pages
        if not text.strip():
            _problem(result, "no_text", f"{located.rel} has no text layer (scanned?)")
        return _markdown.plain_text_blocks(text)
    if _locate.looks_binary(raw):
        _problem(result, "binary", f"{located.rel} is a binary file, not text")
        result["manual_review"] = (
            "the summary file is binary, not text: a person reads it"
        )
        return None
    text, encoding = _locate.decode(raw)
    result["encoding"] = encoding
    if encoding != "utf-8":
        _problem(result, "not_utf8", f"{located.rel} is not UTF-8; read as {encoding}")
    if fmt == "notebook":
        from grading.summary import notebook

        try:
            return notebook.blocks(text)
        except notebook.NotebookError as exc:
            _problem(result, "bad_notebook", f"{located.rel}: {exc}")
            result["manual_review"] = (
                "the notebook could not be read: a person reads it"
            )
            return None
    return _markdown.parse(text)


def _pick_image(refs: list[tuple[str, str, int]]) -> tuple[str, str, int]:
    for ref in refs:
        if _extract.CONFUSION.search(ref[0] + " " + ref[1]):
            return ref
    return refs[0]


def analyze(path: str | Path, rubric: Rubric) -> dict[str, Any]:
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
    dict
        The summary JSON: ``file``, ``format``, ``variants_found``,
        ``metrics``, ``confusion_matrices``, ``deflation``, ``questions``,
        ``warnings`` and more (see ``docs/summary-checks.md``). It never
        raises on bad input; problems are listed in ``problems``.
    """
    data = lab_data(rubric)
    variants = Variants(data)
    located = _locate.locate(Path(path), data["dir"])
    result = _empty_result(located, data, variants)
    if located.format == "image" and all(
        _locate.format_of(Path(c)) == "image" for c in located.candidates
    ):
        result["manual_review"] = (
            f"the summary is {len(located.candidates)} image file(s), "
            "not text: a person reads it"
        )
        return result
    texts = [c for c in located.candidates if _locate.format_of(Path(c)) != "image"]
    if len(texts) > 1:
        _problem(
            result,
            "several_candidates",
            f"several files could be the summary: "
            f"{', '.join(texts[:6])}; read {located.rel}",
        )
    if located.path is None:
        return result
    blocks = _blocks(located, data, result)
    if blocks is None:
        return result
    found = _extract.extract(blocks, variants)
    order = {name: i for i, name in enumerate(variants.canonical)}
    summary_dir = located.path.parent
    for variant in sorted(found.metrics, key=lambda v: order.get(v, 99)):
        values = found.metrics[variant]
        row = {key: values.get(key) for key in METRIC_KEYS}
        for extra in ("top5", "samples"):
            if values.get(extra) is not None:
                row[extra] = values[extra]
        if variant == variants.baseline:
            result["baseline"]["metrics"] = row
        else:
            result["metrics"][variant] = row
    for variant in sorted(found.deflation, key=lambda v: order.get(v, 99)):
        entry = found.deflation[variant]
        result["deflation"][variant] = {
            "percent": entry["percent"],
            "size_bytes": entry["size_bytes"],
        }
    if found.original_sizes:
        result["baseline"]["original_sizes"] = found.original_sizes
    for variant in sorted(found.images, key=lambda v: order.get(v, 99)):
        src, _alt, line = _pick_image(found.images[variant])
        checked = _images.check_image(src, summary_dir, located.root)
        checked["line"] = line
        result["confusion_matrices"][variant] = checked
    names = (
        set(result["metrics"])
        | set(result["confusion_matrices"])
        | {v for v in result["deflation"] if v != variants.baseline}
    )
    result["variants_found"] = [v for v in variants.canonical if v in names]
    result["questions"] = questions.find(
        blocks, data.get("questions", []), int(data.get("min_answer_words", 12))
    )
    text = "\n".join(
        b.text if b.kind != "table" else " ".join(" ".join(r) for r in b.rows)
        for b in blocks
    ).lower()
    warnings = plausibility.check(result, data, variants, text)
    guessed = [v for v in found.guessed_units if v in result["deflation"]]
    if guessed:
        warnings.append(
            {
                "code": "size_unit_guessed",
                "item": "deflation",
                "variant": None,
                "message": f"sizes without a unit ({len(guessed)} models, e.g. "
                f"{guessed[0]}) were read as KiB, what ls -s and du print",
            }
        )
    for variant, named, src in found.image_mismatch:
        warnings.append(
            {
                "code": "image_name_mismatch",
                "item": "summary_metrics",
                "variant": variant,
                "message": f"{variant}: the image under it "
                f"is named after {named} ({src})",
            }
        )
    other = [w for w in data.get("other_lab_words", []) if w in text]
    if not result["variants_found"] and other:
        warnings.append(
            {
                "code": "other_lab",
                "item": "",
                "variant": None,
                "message": "this looks like the summary of another lab (it "
                f"mentions {', '.join(other[:3])} and none of the variants "
                "of this lab)",
            }
        )
    elif not result["variants_found"] and not any(
        q["found"] for q in result["questions"].values()
    ):
        warnings.append(
            {
                "code": "not_this_lab",
                "item": "",
                "variant": None,
                "message": "no variant of this lab and none of its questions "
                "were found: is this the right file?",
            }
        )
    result["warnings"] = warnings
    return result
