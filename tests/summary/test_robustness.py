"""Bad input gives clear problems, never an exception or a hang."""

import os
import time

import pytest

from grading.summary import analyze


def _codes(result):
    return {p["code"] for p in result["problems"]}


def test_no_summary_folder(tmp_path, rubric):
    result = analyze(tmp_path, rubric).to_dict()
    assert result["file"] is None
    assert "no_folder" in _codes(result)


def test_folder_with_other_case_is_used_and_reported(tmp_path, rubric):
    folder = tmp_path / "Summaries" / "L03_pruning_clustering"
    folder.mkdir(parents=True)
    (folder / "summary.md").write_text("# x\n\n- clustered-2-fp32: deflated 91%\n")
    result = analyze(tmp_path, rubric).to_dict()
    assert result["file"] == "Summaries/L03_pruning_clustering/summary.md"
    assert "folder_name" in _codes(result)
    assert result["deflation"]["clustered-2-fp32"]["percent"] == 91.0


def test_empty_folder(submission, rubric):
    root, _ = submission
    assert "empty_folder" in _codes(analyze(root, rubric).to_dict())


def test_empty_file(submission, rubric):
    root, folder = submission
    (folder / "summary.md").write_text("  \n\n")
    result = analyze(root, rubric).to_dict()
    assert "empty" in _codes(result)
    assert result["variants_found"] == []


def test_binary_file(submission, rubric):
    root, folder = submission
    (folder / "summary.md").write_bytes(bytes(range(256)) * 40)
    result = analyze(root, rubric).to_dict()
    assert "binary" in _codes(result)
    assert result["manual_review"]


def test_non_utf8_polish_file_is_read_and_reported(submission, rubric):
    root, folder = submission
    text = "# Podsumowanie\n\n## Klasteryzacja, 2 klastry\n\n* Dokładność: 0,81\n"
    (folder / "summary.md").write_bytes(text.encode("cp1250"))
    result = analyze(root, rubric).to_dict()
    assert "not_utf8" in _codes(result)
    assert result["encoding"] == "cp1250"
    assert result["metrics"]["clustered-2-fp32"]["accuracy"] == pytest.approx(0.81)


def test_ten_megabytes_is_a_problem_not_a_hang(submission, rubric):
    root, folder = submission
    line = "| clustered-2-fp32 | 0.81 | 0.80 |\n"
    (folder / "summary.md").write_text(line * (10_000_000 // len(line) + 1))
    start = time.perf_counter()
    result = analyze(root, rubric).to_dict()
    assert time.perf_counter() - start < 2.0
    assert "too_large" in _codes(result)
    assert result["manual_review"]


def test_summary_symlink_outside_is_not_read(submission, tmp_path, rubric):
    root, folder = submission
    secret = tmp_path / "secret.md"
    secret.write_text("# clustered-2-fp32\n\n* Accuracy: 0.99\n")
    os.symlink(secret, folder / "summary.md")
    result = analyze(root, rubric).to_dict()
    assert result["file"] is None
    assert "outside" in _codes(result)
    assert result["metrics"] == {}


def test_image_symlink_outside_and_traversal(submission, tmp_path, rubric):
    root, folder = submission
    outside = tmp_path / "cm.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    (folder / "img").mkdir()
    os.symlink(outside, folder / "img" / "link.png")
    (folder / "summary.md").write_text(
        "## clustered-2-fp32\n\n![](img/link.png)\n\n"
        "## clustered-4-fp32\n\n![](../../../cm.png)\n\n"
        "## clustered-8-fp32\n\n![](/summaries/l03_pruning_clustering/img/none.png)\n"
    )
    cms = analyze(root, rubric).to_dict()["confusion_matrices"]
    assert cms["clustered-2-fp32"]["problem"] == "outside"
    assert cms["clustered-4-fp32"]["problem"] == "outside"
    assert cms["clustered-8-fp32"]["problem"] == "missing"
    assert not any(c["exists"] for c in cms.values())


def test_broken_notebook_goes_to_manual_review(submission, rubric):
    root, folder = submission
    (folder / "summary.ipynb").write_text('{"cells": [ {"cell_type": ')
    result = analyze(root, rubric).to_dict()
    assert "bad_notebook" in _codes(result)
    assert result["manual_review"]


def test_broken_pdf_is_reported(submission, rubric):
    root, folder = submission
    (folder / "summary.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    result = analyze(root, rubric).to_dict()
    assert result["manual_review"]
    assert "unreadable" in _codes(result)


def test_docx_goes_to_manual_review(submission, rubric):
    root, folder = submission
    (folder / "sprawozdanie.docx").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    result = analyze(root, rubric).to_dict()
    assert result["format"] == "document"
    assert "word-processor" in result["manual_review"]


def test_markdown_is_preferred_over_pdf_and_text(submission, rubric):
    root, folder = submission
    (folder / "a.pdf").write_bytes(b"%PDF-1.4\n")
    (folder / "notes.txt").write_text("notes\n")
    (folder / "README.md").write_text("# readme\n")
    (folder / "summary.md").write_text("# summary\n")
    result = analyze(root, rubric).to_dict()
    assert result["file"].endswith("summary.md")
    assert "several_candidates" in _codes(result)


def test_html_with_scripts_and_junk(submission, rubric):
    root, folder = submission
    (folder / "summary.md").write_text(
        "<script>while(1){}</script>\n<div><img src='img/x.png'\n<table><tr><td>"
        "pruned 50%<td>deflated 44%</table>\n<!-- unclosed comment\n"
    )
    result = analyze(root, rubric).to_dict()
    assert result["deflation"]["pruned-0.5-fp32"]["percent"] == 44.0


def test_path_may_be_the_summary_folder_itself(submission, rubric):
    root, folder = submission
    (folder / "summary.md").write_text("# x\n\n- pruned-0.4-fp32: deflated 36%\n")
    (folder / "figure.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    result = analyze(folder, rubric).to_dict()
    assert result["file"] == "summaries/l03_pruning_clustering/summary.md"
    assert result["deflation"]["pruned-0.4-fp32"]["percent"] == 36.0
    assert "several_candidates" not in _codes(result)
