"""Hostile summaries (issue 13): limits that name themselves, normalised text,
capped strings, deterministic refusals. Timing is measured in
``bench/bench_summary.py``, not here."""

import dataclasses
import json

from grading.checks import CheckContext
from grading.checks import summary as check
from grading.summary import analyze
from grading.summary.limits import Budget, BudgetExceeded, Limits
from grading.summary.markdown import parse


def _with(rubric, **summary):
    """The rubric with ``summary`` keys replaced in its [summary] section."""
    sections = dict(rubric.sections)
    sections["summary"] = {**rubric.sections["summary"], **summary}
    return dataclasses.replace(rubric, sections=sections)


def _codes(result):
    return {p.code for p in result.problems}


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_limits_come_from_the_rubric(rubric):
    limits = Limits.from_data(rubric.section("summary"))
    assert limits.text_bytes == rubric.section("summary")["max_text_bytes"]
    assert limits.parse_steps == rubric.section("summary")["max_parse_steps"]
    assert Limits.from_data({"max_parse_steps": "junk"}).parse_steps == 100_000


def test_a_summary_of_brackets_is_refused_naming_the_limit(submission, rubric):
    root, folder = submission
    (folder / "summary.md").write_text("[" * 2_000_000)
    result = analyze(root, rubric)
    assert "too_complex" in _codes(result)
    assert result.manual_review and "max_parse_steps" in result.manual_review
    message = next(p.message for p in result.problems if p.code == "too_complex")
    assert "max_parse_steps" in message and "100,000" in message
    assert result.steps > rubric.section("summary")["max_parse_steps"]


def test_refusal_is_deterministic_and_below_it_everything_is_read(submission, rubric):
    root, folder = submission
    text = "## clustered-2-fp32\n\n- deflated 91%\n\n" + "[" * 3000
    (folder / "summary.md").write_text(text)
    small = _with(rubric, max_parse_steps=2000)
    first, second = analyze(root, small), analyze(root, small)
    assert "too_complex" in _codes(first)
    assert first.to_dict() == second.to_dict() and first.steps == second.steps
    read = analyze(root, _with(rubric, max_parse_steps=50_000))
    assert read.deflation["clustered-2-fp32"].percent == 91.0
    assert read.steps < 50_000


def test_too_large_names_the_byte_limit(submission, rubric):
    root, folder = submission
    (folder / "summary.md").write_text("a" * 5001)
    result = analyze(root, _with(rubric, max_text_bytes=5000))
    assert "too_large" in _codes(result)
    assert "max_text_bytes" in result.manual_review


def test_notebook_of_brackets_and_nested_json(submission, rubric):
    root, folder = submission
    cell = {"cell_type": "markdown", "metadata": {}, "source": "[" * 4_000_000}
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "summary.ipynb").write_text(json.dumps(notebook))
    assert "too_complex" in _codes(analyze(root, rubric))
    (folder / "summary.ipynb").write_text("[" * 1_000_000)
    assert "bad_notebook" in _codes(analyze(root, rubric))


def test_notebook_with_wrong_types_is_read_without_errors(submission, rubric):
    root, folder = submission
    cells = [
        "not a cell",
        {"cell_type": "markdown", "source": 42},
        {"cell_type": "code", "outputs": {"not": "a list"}},
        {"cell_type": "code", "outputs": [None, {"output_type": "stream", "text": 7}]},
        {"cell_type": "markdown", "source": ["## clustered-2-fp32\n", "deflated 92%"]},
    ]
    (folder / "summary.ipynb").write_text(json.dumps({"cells": cells, "nbformat": 4}))
    result = analyze(root, rubric)
    assert result.deflation["clustered-2-fp32"].percent == 92.0


def test_invisible_characters_are_removed_and_reported(submission, rubric):
    root, folder = submission
    (folder / "summary.md").write_text(
        "## \u202eclustered-2-fp32\n\n"
        "- de\u200bflated 9\u200d1%\n- Accu\u00adracy: 0.8\n"
    )
    result = analyze(root, rubric)
    assert result.deflation["clustered-2-fp32"].percent == 91.0
    assert result.metrics["clustered-2-fp32"].accuracy == 0.8
    problem = next(p for p in result.problems if p.code == "invisible_characters")
    assert "zero width space" in problem.message
    assert "right-to-left override" in problem.message


def test_strings_from_the_submission_are_capped(submission, rubric, tmp_path):
    root, folder = submission
    long_name = "x" * 5000
    (folder / "img").mkdir()
    text = (
        f"## Questions\n\n### Question 1 {'compare quantization ' * 2000}?\n\n"
        + "answer " * 3000
        + "\n\n## clustered-2-fp32\n\n"
        + "".join(
            f"![](img/{long_name}-clustered-4-fp32-{i}.png)\n" for i in range(300)
        )
    )
    (folder / "summary.md").write_text(text)
    for i in range(40):
        (folder / f"notes-{i}.txt").write_text("x")
    result = analyze(root, rubric)
    details = result.to_dict()
    assert max(len(s) for s in _strings(details)) <= 2000
    assert len(details["candidates"]) <= 20
    assert len(details["warnings"]) <= 60
    ctx = CheckContext(submission=root, workdir=tmp_path, lab=rubric.lab, rubric=rubric)
    findings = check.run(ctx).findings
    assert max(len(f.message) for f in findings) <= 600
    assert max(len(f.evidence) for f in findings) <= 2000


def test_budget_counts_and_stops():
    budget = Budget(10)
    budget.spend(10)
    try:
        budget.spend()
    except BudgetExceeded as exc:
        assert exc.limit == 10 and "10" in str(exc)
    else:  # pragma: no cover - the assertion that matters
        raise AssertionError("the budget did not stop")
    assert parse("# a\n\ntext\n", Budget(1000))[0].text == "a"


def test_html_that_is_quadratic_for_the_standard_parser(submission, rubric):
    root, folder = submission
    (folder / "summary.md").write_text(
        "<div>\n" + "</" * 20_000 + "\n\n<img src='img/clustered-2-fp32-cm.png'>\n"
    )
    result = analyze(root, rubric)
    assert "clustered-2-fp32" in result.confusion_matrices


def test_check_details_are_the_summary_json(submission, rubric, tmp_path):
    root, folder = submission
    (folder / "summary.md").write_text("# x\n\n- pruned-0.4-fp32: deflated 36%\n")
    ctx = CheckContext(submission=root, workdir=tmp_path, lab=rubric.lab, rubric=rubric)
    details = check.run(ctx).details
    assert details == analyze(root, rubric).to_dict()
    assert details["deflation"]["pruned-0.4-fp32"] == {
        "percent": 36.0,
        "size_bytes": None,
    }


def _pdf_of_pages(count: int) -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(count):
        writer.add_blank_page(10, 10)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_text_has_a_time_limit_that_is_named(submission, rubric):
    root, folder = submission
    (folder / "summary.pdf").write_bytes(_pdf_of_pages(3))
    result = analyze(root, _with(rubric, max_pdf_seconds=0.01))
    assert result.manual_review
    problem = next(p for p in result.problems if p.code == "unreadable")
    assert "max_pdf_seconds" in problem.message
    assert analyze(root, rubric).pages == 3
