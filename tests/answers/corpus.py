"""The labelled answers and the student tables they are about, as the reader
would return them (:class:`grading.summary.result.SummaryResult`)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from grading.summary.facts import Fact
from grading.summary.result import Answer, Deflation, Metrics, SummaryResult

HERE = Path(__file__).resolve().parent


#: The labelled sets of each lab and the tables they are about.
SETS = {
    "l03_pruning_clustering": (("corpus", "heldout", "heldout2", "heldout3"), "tables"),
    "l02_quantization": (("l02_corpus", "l02_heldout"), "l02_tables"),
}


def load_corpus(name: str = "corpus") -> list[dict]:
    """Return the labelled answers of ``corpus.toml`` (or another set of SETS)."""
    with open(HERE / f"{name}.toml", "rb") as handle:
        return tomllib.load(handle)["answers"]


def load_tables(name: str = "tables") -> dict[str, dict]:
    """Return the student tables of ``tables.toml`` (or ``l02_tables.toml``) by id."""
    with open(HERE / f"{name}.toml", "rb") as handle:
        return tomllib.load(handle)


def result_of(table: dict, answers: dict[str, str], baseline: str = "tflite-fp32"):
    """Return a SummaryResult holding ``table``'s numbers and ``answers``."""
    result = SummaryResult(file="summary.md", format="markdown")
    if "fp32" not in table:  # lab 02: every variant is a row, no deflation
        for name, row in table["variants"].items():
            result.metrics[name] = Metrics(
                accuracy=row["accuracy"], inference_ms=row["inference_ms"]
            )
        result.facts["sizes"] = Fact(sizes=dict(table.get("sizes", {})))
        return _with_answers(result, answers)
    for name, row in {**table["variants"], baseline: table["fp32"]}.items():
        metrics = Metrics(accuracy=row["accuracy"], inference_ms=row["inference_ms"])
        if name == baseline:
            result.baseline.metrics = metrics
        else:
            result.metrics[name] = metrics
        result.deflation[name] = Deflation(row["percent"], row["size"])
        result.baseline.original_sizes[name] = row["raw"]
    return _with_answers(result, answers)


def _with_answers(result: SummaryResult, answers: dict[str, str]) -> SummaryResult:
    for qid, text in answers.items():
        result.questions[qid] = Answer(
            found=True,
            heading=qid,
            excerpt=text.strip(),
            words=len(text.split()),
            line=1,
        )
    return result
