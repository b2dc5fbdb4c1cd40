"""Read a summary file into blocks, within the limits of the rubric.

:func:`read_blocks` opens the located file (never beyond its size limit),
decodes and normalises its text, and parses it: Markdown, text and HTML with
markdown-it-py, notebooks as JSON, PDFs with pypdf (evidence only). Every
parser spends from one :class:`~grading.summary.limits.Budget`; a summary
that needs more is refused. Whatever goes wrong is recorded on the result as
a problem (and, where a person must read the file, as ``manual_review``);
nothing raises.
"""

from __future__ import annotations

from grading.summary import locate as _locate
from grading.summary import markdown
from grading.summary.clean import Cleaner
from grading.summary.limits import Budget, BudgetExceeded, Limits
from grading.summary.markdown import Block
from grading.summary.result import SummaryResult
from grading.util.text import cap

MANUAL_FORMATS = {
    "pdf": "the summary is a PDF: its tables cannot be read reliably, so a person "
    "checks the metrics, the deflation and the answers",
    "image": "the summary is an image: a person reads it",
    "document": "the summary is a word-processor document: a person reads it "
    "(Markdown is recommended)",
    "unknown": "the summary has a file type the grader does not read: "
    "a person reads it",
}
TEXT_FORMATS = ("markdown", "text", "html")
#: Longest file name shown in a message, in characters.
NAME_CHARS = 200


def _size_limit(result: SummaryResult, name: str, limit: int, key: str) -> None:
    result.problem(
        "too_large",
        f"{name} is larger than {limit:,} bytes ({key} in the rubric's [summary]); "
        "it was not parsed",
    )
    result.manual_review = (
        f"the summary is larger than the {limit:,} bytes the grader reads ({key}), "
        "so it was not parsed; a person reads it"
    )


def _pdf(raw: bytes, name: str, limits: Limits, result: SummaryResult, clean):
    from grading.summary import pdf

    try:
        text, pages = pdf.text(raw, limits.pdf_pages, limits.pdf_seconds)
    except ValueError as exc:
        result.problem("unreadable", f"{name}: {cap(str(exc), 300)}")
        return None
    result.pages = pages
    if not text.strip():
        result.problem("no_text", f"{name} has no text layer (scanned?)")
    return markdown.plain_text_blocks(clean(text))


def _parse(text: str, fmt: str, name: str, budget, clean, result) -> list | None:
    """Parse decoded text by format; None (with a problem) when it cannot be."""
    if fmt == "notebook":
        from grading.summary import notebook

        try:
            return notebook.blocks(text, budget, clean)
        except notebook.NotebookError as exc:
            result.problem("bad_notebook", f"{name}: {exc}")
            result.manual_review = "the notebook could not be read: a person reads it"
            return None
    return markdown.parse(clean(text), budget)


def refuse_complex(result: SummaryResult, name: str, exc: BudgetExceeded) -> None:
    """Record that reading the summary needed more steps than allowed."""
    result.problem(
        "too_complex",
        f"{name} needs {exc} to read (max_parse_steps in the rubric's "
        "[summary]): it is mostly markup, such as long runs of brackets, "
        "asterisks or table rows; it was not read",
    )
    result.manual_review = (
        f"the summary needs {exc} to read, more than the grader spends "
        "(max_parse_steps), so it was not read; a person reads it"
    )


def read_blocks(
    located: _locate.Located, limits: Limits, result: SummaryResult, budget: Budget
) -> list[Block] | None:
    """Read the located summary into blocks.

    Parameters
    ----------
    located : Located
        The summary file (``located.path`` is not None).
    limits : Limits
        The rubric's size and work limits.
    result : SummaryResult
        Receives problems, the encoding, ``manual_review`` and PDF pages.
    budget : Budget
        The summary's step budget (shared with the extraction that follows).

    Returns
    -------
    list of Block or None
        None when the file cannot or must not be parsed.
    """
    fmt = located.format
    name = cap(located.rel or "the summary", NAME_CHARS)
    limit, key = (
        (limits.text_bytes, "max_text_bytes")
        if fmt in TEXT_FORMATS
        else (limits.binary_bytes, "max_binary_bytes")
    )
    try:
        raw, truncated = _locate.read_bytes(located.path, limit)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        result.problem("unreadable", f"cannot read {name}: {reason}")
        result.manual_review = f"the summary file could not be read ({reason})"
        return None
    if truncated:
        _size_limit(result, name, limit, key)
        return None
    if not raw.strip():
        result.problem("empty", f"{name} is empty")
        return None
    clean = Cleaner(budget)
    try:
        blocks = _decode_and_parse(raw, fmt, name, limits, budget, clean, result)
    except BudgetExceeded as exc:
        refuse_complex(result, name, exc)
        blocks = None
    if clean.removed:
        result.problem("invisible_characters", clean.message(name))
    return blocks


def _decode_and_parse(raw, fmt, name, limits, budget, clean, result):
    if fmt in MANUAL_FORMATS:
        result.manual_review = MANUAL_FORMATS[fmt]
        return _pdf(raw, name, limits, result, clean) if fmt == "pdf" else None
    if _locate.looks_binary(raw):
        result.problem("binary", f"{name} is a binary file, not text")
        result.manual_review = "the summary file is binary, not text: a person reads it"
        return None
    text, encoding = _locate.decode(raw)
    result.encoding = encoding
    if encoding != "utf-8":
        result.problem("not_utf8", f"{name} is not UTF-8; read as {encoding}")
    return _parse(text, fmt, name, budget, clean, result)
