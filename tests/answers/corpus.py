"""The labelled answers and the student tables they are about, as the reader
would return them (:class:`grading.summary.result.SummaryResult`)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from grading.summary.result import Answer, Deflation, Metrics, SummaryResult

HERE = Path(__file__).resolve().parent


def load_corpus(name: str = "corpus") -> list[dict]:
    """Return the labelled answers of ``corpus.toml`` (or ``heldout.toml``)."""
    with open(HERE / f"{name}.toml", "rb") as handle:
        return tomllib.load(handle)["answers"]


def load_tables() -> dict[str, dict]:
    """Return the student tables of ``tables.toml`` by id."""
    with open(HERE / "tables.toml", "rb") as handle:
        return tomllib.load(handle)


def result_of(table: dict, answers: dict[str, str], baseline: str = "tflite-fp32"):
    """Return a SummaryResult holding ``table``'s numbers and ``answers``."""
    result = SummaryResult(file="summary.md", format="markdown")
    for name, row in {**table["variants"], baseline: table["fp32"]}.items():
        metrics = Metrics(accuracy=row["accuracy"], inference_ms=row["inference_ms"])
        if name == baseline:
            result.baseline.metrics = metrics
        else:
            result.metrics[name] = metrics
        result.deflation[name] = Deflation(row["percent"], row["size"])
        result.baseline.original_sizes[name] = row["raw"]
    for qid, text in answers.items():
        result.questions[qid] = Answer(
            found=True,
            heading=qid,
            excerpt=text.strip(),
            words=len(text.split()),
            line=1,
        )
    return result
