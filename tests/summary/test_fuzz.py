"""Fuzz the Markdown path: any text gives a JSON result, never an exception."""

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
