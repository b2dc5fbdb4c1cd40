"""Fuzz the reader: any text gives a JSON result, never an exception."""

import dataclasses
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grading.summary import analyze

PIECES = st.sampled_from(
    [
        "# ",
        "## ",
        "### ",
        "\n",
        "\n\n",
        "| ",
        " |",
        "|---|---|\n",
        "* ",
        "1. ",
        "> ",
        "```\n",
        "**",
        "![](",
        ")",
        "img/clustered-2-fp32-confusion-matrix.png",
        "../../../etc/passwd",
        "clustered-2-fp32",
        "Pruned 20%",
        "sparsity=0.5",
        "num_clusters=8",
        "Accuracy: ",
        "G-mean",
        "deflated ",
        "48%",
        "8 452",
        "9.0 MB",
        "brak",
        "n/a",
        "nan",
        "-",
        "0,83",
        "1e308",
        "<table><tr><td>",
        "<img src='x'>",
        "Question 1",
        "Pytanie 4",
        "?",
        "\x00",
        "\u202e",
        "ąęł",
        " ",
    ]
)
TEXT = st.one_of(st.lists(PIECES, max_size=60).map("".join), st.text(max_size=400))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=TEXT)
def test_any_markdown_gives_json(text, rubric, tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    folder = root / "summaries" / "l03_pruning_clustering"
    folder.mkdir(parents=True)
    (folder / "summary.md").write_text(text, encoding="utf-8", errors="surrogatepass")
    result = analyze(root, rubric).to_dict()
    json.dumps(result)
    for entry in result["deflation"].values():
        assert entry["size_bytes"] is None or isinstance(entry["size_bytes"], int)
    for cm in result["confusion_matrices"].values():
        assert not (cm["exists"] and cm["problem"])


# Adversarial shapes: long runs of one unit of markup, the inputs that made
# the parsers super-linear (issue 13). A small step limit keeps each example
# fast; what is checked is that the reader answers, stays within its limit
# (or refuses naming it), and caps what it returns.
UNITS = st.sampled_from(
    [
        "[",
        "![",
        "[a](",
        "[a]: b\n",
        "<",
        "</",
        "<a b='",
        "<!--",
        "*a",
        "_a",
        "`a",
        "\\",
        "|",
        "|1|2|\n",
        "> ",
        "- ",
        "  - ",
        "# ",
        "?\n\n",
        "1 ",
        "1",
        "&amp;",
        "\u200b",
        "\u202e",
        "ą",
        "clustered-2-fp32 ",
        "deflated ",
        "accuracy ",
        "size 8 452 ",
        "![](img/pruned-0.5-fp32-cm.png)",
        "16.4MB -> ",
    ]
)
HEADS = st.sampled_from(["", "# x\n\n", "| a | b |\n|---|---|\n", "```\n", "<table>"])
ADVERSARIAL = st.builds(
    lambda head, unit, count, tail: head + unit * count + tail,
    HEADS,
    UNITS,
    st.integers(min_value=1, max_value=6000),
    st.sampled_from(["", "\n\n## pruned-0.5-fp32\n\n- deflated 45%\n"]),
)
LIMIT = 4000


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=ADVERSARIAL, notebook=st.booleans())
def test_adversarial_markup_is_read_or_refused_within_the_limit(
    text, notebook, rubric, tmp_path_factory
):
    sections = dict(rubric.sections)
    sections["summary"] = {**rubric.sections["summary"], "max_parse_steps": LIMIT}
    small = dataclasses.replace(rubric, sections=sections)
    root = tmp_path_factory.mktemp("adversarial")
    folder = root / "summaries" / "l03_pruning_clustering"
    folder.mkdir(parents=True)
    if notebook:
        cell = {"cell_type": "markdown", "metadata": {}, "source": text}
        document = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        (folder / "summary.ipynb").write_text(json.dumps(document))
    else:
        (folder / "summary.md").write_text(text, encoding="utf-8")
    result = analyze(root, small)
    codes = {p.code for p in result.problems}
    if "too_complex" in codes:
        assert "max_parse_steps" in result.manual_review
    else:
        assert result.steps <= LIMIT
    details = json.loads(json.dumps(result.to_dict()))
    assert all(len(s) <= 2000 for s in _strings(details))
    if ("\u200b" in text or "\u202e" in text) and "too_complex" not in codes:
        assert "invisible_characters" in codes
