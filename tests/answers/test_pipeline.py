"""Answers read end to end: the whole summary reader, then the assessors,
on the fidelity corpus's generated summaries; and the student's own
``summary`` verb, which never prints a suggestion."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from grading.cli import main
from grading.summary import analyze
from grading.summary.answers import assess
from tests.fidelity.summaries import summary

LABELS = Path(__file__).resolve().parent / "fidelity_labels.toml"


def _repo(tmp_path: Path, text: str, data: dict) -> Path:
    repo = tmp_path / "repo"
    folder = repo / data["dir"]
    folder.mkdir(parents=True)
    (repo / ".git").mkdir()
    (folder / "summary.md").write_text(text, encoding="utf-8")
    return repo


def _labels() -> list[dict]:
    with open(LABELS, "rb") as handle:
        return tomllib.load(handle)["labels"]


@pytest.mark.parametrize("entry", _labels(), ids=lambda e: str(e["summary"]))
def test_generated_summaries_agree_with_my_labels(rubric, data, tmp_path, entry):
    got = assess(
        analyze(_repo(tmp_path, summary(**entry["summary"]), data), rubric), data
    )
    for qid, points in entry["points"].items():
        assert got[qid].score == points, (qid, got[qid].evidence)


def test_polish_numbered_heading_holds_the_answer(rubric, data, tmp_path):
    result = analyze(_repo(tmp_path, summary(lang="pl"), data), rubric)
    assert result.questions["q3"].heading.startswith("Pytanie 3")
    assert "Powtarzające" in result.questions["q3"].excerpt


def test_summary_verb_prints_no_suggestion(data, tmp_path, capsys):
    repo = _repo(tmp_path, summary(unstripped_clusters=True), data)
    for extra in ([], ["--json"]):
        main(["summary", str(repo), *extra])
        out = capsys.readouterr().out
        assert "contradicts your table" not in out
        assert "Pareto front" not in out
