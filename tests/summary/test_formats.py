"""One test per format real students write (issue 12, item 5).

Each input is written here in the shape students use; the expected reading
is stated next to it. The fixtures in ``fixtures/`` cover the same formats in
whole summaries.
"""

import json

import pytest

from grading.summary import analyze, numbers

PNG = b"\x89PNG\r\n\x1a\n fixture image\n"


def _read(submission, rubric, text, name="summary.md", images=()):
    root, folder = submission
    for image in images:
        path = folder / image
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(PNG)
    (folder / name).write_text(text, encoding="utf-8")
    return analyze(root, rubric)


def test_deflation_as_bullets_with_arrows(submission, rubric):
    result = _read(
        submission,
        rubric,
        "## ZIP\n\n- clustered-2: 16.4MB -> 1.5MB (deflated 91%)\n"
        "- pruned 0.5: 16.4 MB → 9.1 MB (deflated 45%)\n"
        "- Przycięty 40%: z 16,4 MB do 10,5 MB (deflacja 36%)\n",
    )
    assert result.deflation["clustered-2-fp32"].to_dict() == {
        "percent": 91.0,
        "size_bytes": 1_500_000,
    }
    assert result.deflation["pruned-0.5-fp32"].size_bytes == 9_100_000
    assert result.deflation["pruned-0.4-fp32"].to_dict() == {
        "percent": 36.0,
        "size_bytes": 10_500_000,
    }
    assert result.baseline.original_sizes["clustered-2-fp32"] == 16_400_000


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("16,432,856 B", 16_432_856),  # English commas
        ("16.432.856 B", 16_432_856),  # Polish dots
        ("16 432 856 B", 16_432_856),  # spaces
        ("16\u2009432\u2009856 B", 16_432_856),  # thin spaces
        ("16\u00a0432\u00a0856 bajtów", 16_432_856),  # no-break spaces
        ("1,5 MB", 1_500_000),  # decimal comma
        ("1 346 kB", 1_346_000),
        ("1,346 kB", 1_346_000),  # a thousands comma before kB
        ("1,346 MB", 1_346_000),  # a decimal comma before MB
        ("12.5 MiB", 13_107_200),
        ("16 035 KiB", 16_419_840),
        ("9.0MB", 9_000_000),
    ],
)
def test_sizes_with_separators_and_units(written, expected):
    assert numbers.as_bytes(written) == (expected, False)


def test_a_size_in_bytes_is_not_read_as_kib(submission, rubric):
    result = _read(
        submission,
        rubric,
        "| model | zip size | deflated |\n|---|---|---|\n"
        "| clustered-2-fp32 | 16,432,856 B | 8% |\n",
    )
    assert result.deflation["clustered-2-fp32"].size_bytes == 16_432_856
    assert "size_unit_guessed" not in {w.code for w in result.warnings}


def test_zip_and_unzip_listings_in_code_blocks(submission, rubric):
    result = _read(
        submission,
        rubric,
        "```\n  adding: clustered-2-fp32.tflite\t(in=16420120) (out=1262144) "
        "(deflated 92%)\n"
        "16420120  Defl:N  1961312  88% 2026-11-20 18:02 5e0c7a11  "
        "clustered-4-fp32.tflite\n"
        "-rw-r--r-- 1 ana ana 1.3M lis 20 18:04 clustered-8-fp32.zip\n"
        "  adding: clustered-16-fp32.tflite (deflated 79%)\n```\n",
    )
    deflation = {v: d.to_dict() for v, d in result.deflation.items()}
    assert deflation["clustered-2-fp32"] == {"percent": 92.0, "size_bytes": 1262144}
    assert deflation["clustered-4-fp32"] == {"percent": 88.0, "size_bytes": 1961312}
    assert deflation["clustered-8-fp32"]["size_bytes"] == round(1.3 * 1024**2)
    assert deflation["clustered-16-fp32"] == {"percent": 79.0, "size_bytes": None}
    assert result.baseline.original_sizes["clustered-4-fp32"] == 16420120


def test_metrics_as_fractions_and_percentages(submission, rubric):
    result = _read(
        submission,
        rubric,
        "### clustered-8-fp32\n\n* Accuracy: 84.1%\n* Mean precision: 0,839\n"
        "* Mean sensitivity: 84,4 %\n* G-mean: 0.838\n* Inference time: 0.0147 s\n",
    )
    row = result.metrics["clustered-8-fp32"]
    assert (row.accuracy, row.precision, row.sensitivity, row.g_mean) == (
        pytest.approx(0.841),
        pytest.approx(0.839),
        pytest.approx(0.844),
        pytest.approx(0.838),
    )
    assert row.inference_ms == pytest.approx(14.7)


def test_missing_values_are_recorded_as_written(submission, rubric):
    result = _read(
        submission,
        rubric,
        "| Model | Accuracy | Precision | Sensitivity | G-mean | Time [ms] |\n"
        "|---|---|---|---|---|---|\n"
        "| clustered-2-fp32 | 0.80 | brak | n/a | nan | 0.0 |\n",
    )
    row = result.metrics["clustered-2-fp32"]
    assert row.accuracy == 0.8
    assert row.written_missing == {
        "precision": "brak",
        "sensitivity": "n/a",
        "g_mean": "nan",
    }
    assert row.inference_ms == 0.0  # a number, which the plausibility check flags
    assert "out_of_range" in {w.code for w in result.warnings}
    assert row.to_dict()["missing"]["precision"] == "brak"


def test_image_named_after_its_variant_under_a_heading_in_words(submission, rubric):
    result = _read(
        submission,
        rubric,
        "### Pruned 50%\n\n![pruned](img/pruned-0.5-fp32-confusion-matrix.png)\n",
        images=["img/pruned-0.5-fp32-confusion-matrix.png"],
    )
    entry = result.confusion_matrices["pruned-0.5-fp32"]
    assert (entry.exists, entry.problem) == (True, None)


@pytest.mark.parametrize(
    ("label", "variant"),
    [
        ("**Pruned 50%**", "pruned-0.5-fp32"),
        ("sparsity 0.4", "pruned-0.4-fp32"),
        ("2 clusters", "clustered-2-fp32"),
        ("klastry: 4", "clustered-4-fp32"),
    ],
)
def test_image_under_a_label_paragraph(submission, rubric, label, variant):
    result = _read(
        submission,
        rubric,
        f"## Confusion matrices\n\n{label}\n\n![](img/x.png)\n",
        images=["img/x.png"],
    )
    assert list(result.confusion_matrices) == [variant]


def test_images_in_galleries_and_variant_columns(submission, rubric):
    result = _read(
        submission,
        rubric,
        "| Model | Matrix |\n|---|---|\n| 8 clusters | ![](img/a.png) |\n\n"
        "| Pruned 20% | Pruned 40% |\n|---|---|\n| ![](img/b.png) | ![](img/c.png) |\n",
        images=["img/a.png", "img/b.png", "img/c.png"],
    )
    assert sorted(result.confusion_matrices) == [
        "clustered-8-fp32",
        "pruned-0.2-fp32",
        "pruned-0.4-fp32",
    ]


def test_file_name_wins_over_the_heading_and_is_reported(submission, rubric):
    result = _read(
        submission,
        rubric,
        "### clustered-4-fp32\n\n![](img/clustered-2-fp32-confusion-matrix.png)\n",
        images=["img/clustered-2-fp32-confusion-matrix.png"],
    )
    assert list(result.confusion_matrices) == ["clustered-2-fp32"]
    assert [w.code for w in result.warnings] == ["image_name_mismatch"]


def _notebook(cells):
    return json.dumps(
        {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    )


def test_notebook_table_outputs(submission, rubric):
    printed = (
        "               model  deflation  zip_mb\n"
        "0   clustered-2-fp32       92.3    1.27\n"
        "1   clustered-4-fp32       88.0    1.97\n"
    )
    html = (
        "<table><tr><th></th><th>accuracy</th></tr>"
        "<tr><th>pruned-0.2-fp32</th><td>0.837</td></tr></table>"
    )
    cells = [
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": 1,
            "source": "print(df)",
            "outputs": [{"output_type": "stream", "name": "stdout", "text": printed}],
        },
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": 2,
            "source": "df2",
            "outputs": [
                {
                    "output_type": "execute_result",
                    "execution_count": 2,
                    "metadata": {},
                    "data": {"text/html": html, "text/plain": "ignored"},
                }
            ],
        },
    ]
    result = _read(submission, rubric, _notebook(cells), name="summary.ipynb")
    assert result.deflation["clustered-4-fp32"].to_dict() == {
        "percent": 88.0,
        "size_bytes": 1_970_000,
    }
    assert result.metrics["pruned-0.2-fp32"].accuracy == pytest.approx(0.837)


def test_notebook_code_and_figure_text_invent_nothing(submission, rubric):
    """The regression of issue 12: a deflation of the FP32 model was invented."""
    source = 'print(f"tflite-fp32: {fp32_mb:.2f} MB (deflated {fp32_defl:.0f}%)")'
    cells = [
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": "## Compression against the TFLite FP32 model",
        },
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": 1,
            "source": source,
            "outputs": [
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {
                        "image/png": "iVBORw0KGgo=",
                        "text/plain": "<Figure size 640x480 with 2 Axes>",
                    },
                },
                {
                    "output_type": "stream",
                    "name": "stdout",
                    "text": "            clustered-32-fp32  clustered-8-fp32\n"
                    "deflation               77.0              84.0\n",
                },
            ],
        },
    ]
    result = _read(submission, rubric, _notebook(cells), name="summary.ipynb")
    assert "tflite-fp32" not in result.deflation
    assert result.deflation["clustered-32-fp32"].percent == 77.0
    assert result.deflation["clustered-8-fp32"].to_dict() == {
        "percent": 84.0,
        "size_bytes": None,
    }


def test_notebook_of_an_old_format_is_converted(submission, rubric):
    cell = {"cell_type": "markdown", "metadata": {}, "source": "## clustered-2-fp32"}
    code = {
        "cell_type": "code",
        "input": "print(table)",
        "language": "python",
        "metadata": {},
        "outputs": [
            {"output_type": "stream", "stream": "stdout", "text": "deflated 92%"}
        ],
    }
    old = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [{"cells": [cell, code], "metadata": {}}],
    }
    result = _read(submission, rubric, json.dumps(old), name="summary.ipynb")
    assert result.deflation["clustered-2-fp32"].percent == 92.0


def test_notebook_terminal_output_is_read_as_shown(submission, rubric):
    log = (
        "Epoch 1/1\n\r  1/90 [>.....] - loss: 2.1\r 90/90 [======] - 5s - loss: 0.5\n"
        "\x1b[1mclustered-2-fp32\x1b[0m: deflated 92%\n"
        "\x1b[32mpruned-0.5-fp32\x1b[0m: deflated 45%\r\n"
    )
    cells = [
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": 1,
            "source": "run()",
            "outputs": [{"output_type": "stream", "name": "stdout", "text": log}],
        }
    ]
    result = _read(submission, rubric, _notebook(cells), name="summary.ipynb")
    assert result.deflation["clustered-2-fp32"].percent == 92.0
    assert result.deflation["pruned-0.5-fp32"].percent == 45.0
    assert "invisible_characters" not in {p.code for p in result.problems}
