"""Numbers, variant names and questions, one function at a time."""

import pytest

from grading.summary import lab_data, numbers
from grading.summary.markdown import parse
from grading.summary.questions import find
from grading.summary.variants import Variants


@pytest.fixture(scope="module")
def variants(rubric):
    return Variants(lab_data(rubric))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Clustered-2-fp32", "clustered-2-fp32"),
        ("clustered 2", "clustered-2-fp32"),
        ("Clustering, num_clusters=16", "clustered-16-fp32"),
        ("Klasteryzacja, 32 klastry", "clustered-32-fp32"),
        ("clustered-32-fp32 (FP32)", "clustered-32-fp32"),
        ("Pruned 20%", "pruned-0.2-fp32"),
        ("sparsity=0.4", "pruned-0.4-fp32"),
        ("Przycinanie 50 %", "pruned-0.5-fp32"),
        ("pruned_0.5", "pruned-0.5-fp32"),
        ("TFLite FP32 (original)", "tflite-fp32"),
        ("clustered 3", None),
        ("pruning vs clustering 2", None),
        ("Accuracy: 0.5", None),
    ],
)
def test_variant_names(variants, text, expected):
    assert variants.resolve(text) == expected


def test_family_from_context(variants):
    clustered = variants.families[0]
    assert variants.resolve("8", clustered) == "clustered-8-fp32"
    pruned = variants.families[1]
    assert variants.resolve("40%", pruned) == "pruned-0.4-fp32"
    assert variants.resolve("0.5", pruned) == "pruned-0.5-fp32"
    assert variants.resolve("7", clustered) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.8364677", 0.8364677),
        ("83.6%", 0.836),
        ("83,6 %", 0.836),
        ("0,81", 0.81),
        ("83.6", 0.836),
        ("1.0", 1.0),
        ("117%", 1.17),
    ],
)
def test_fractions(text, expected):
    assert numbers.as_fraction(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["brak", "n/a", "NaN", "-", "—", "None", " ? "])
def test_missing_values(text):
    assert numbers.as_fraction(text) == numbers.MISSING


def test_absent_value_is_none():
    assert numbers.as_fraction("see below") is None


@pytest.mark.parametrize(
    ("text", "unit", "expected", "guessed"),
    [
        ("8 452", "", 8452 * 1024, True),
        ("9.0 MB", "", 9_000_000, False),
        ("16.48 MB", "", 16_480_000, False),
        ("8654848", "", 8654848, True),
        ("8 452", "kB", 8_452_000, False),
        ("1,3 MB", "", 1_300_000, False),
        ("12.5 MiB", "", int(12.5 * 1024**2), False),
        ("1 346 kB", "", 1_346_000, False),
    ],
)
def test_sizes(text, unit, expected, guessed):
    assert numbers.as_bytes(text, unit) == (expected, guessed)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("48%", 48.0), ("48", 48.0), ("0.48", 48.0), ("44,5 %", 44.5)],
)
def test_percent(text, expected):
    assert numbers.as_percent(text) == pytest.approx(expected)


def test_ms():
    assert numbers.as_ms("0.0152 s") == pytest.approx(15.2)
    assert numbers.as_ms("15.2 ms") == pytest.approx(15.2)


def test_polish_questions_by_keywords(rubric):
    text = (
        "# Wyniki\n\n## Wnioski\n\n"
        "### Jak wypadają kwantyzacja, przycinanie i klasteryzacja w porównaniu?\n\n"
        "Klasteryzacja daje najlepszą dokładność, przycinanie jest zaraz za nią, "
        "a kwantyzacja jest najszybsza.\n\n"
        "### Ile razy mniejsze są modele od FP32?\n\nOkoło dziesięciu razy po ZIP.\n\n"
        "### Co oznacza deflacja w ZIP?\n\nProcent zaoszczędzonych bajtów w archiwum, "
        "rośnie gdy wagi się powtarzają.\n\n"
        "### Która metoda daje najmniejszy i najlepszy model?\n\nŻadna nie dominuje.\n"
    )
    found = find(parse(text), lab_data(rubric)["questions"])
    assert all(found[q].found for q in ("q1", "q2", "q3", "q4"))
    assert "kwantyzacja" in found["q1"].heading
    assert found["q3"].excerpt.startswith("Procent")
    assert found["q4"].short


def test_question_not_found_when_absent(rubric):
    found = find(
        parse("# Results\n\nNothing else here.\n"), lab_data(rubric)["questions"]
    )
    assert not any(a.found for a in found.values())


def test_another_lab_needs_only_data():
    lab02 = {
        "baseline": "tflite-fp32",
        "baseline_words": ["tflite fp32", "tflite-fp32"],
        "families": [
            {"name": "native", "variant": "native", "words": ["native", "keras"]},
            {
                "name": "int8",
                "variant": "tflite-int8-{}",
                "values": [0.01, 0.08, 0.3, 0.8],
                "kind": "fraction",
                "words": ["int8 ", "int8-", "calibration"],
            },
            {
                "name": "imbint8",
                "variant": "tflite-imbint8",
                "words": ["imbint8", "imbalanced"],
            },
        ],
    }
    variants = Variants(lab02)
    assert variants.canonical == [
        "native",
        "tflite-int8-0.01",
        "tflite-int8-0.08",
        "tflite-int8-0.3",
        "tflite-int8-0.8",
        "tflite-imbint8",
    ]
    assert variants.resolve("Native Keras model") == "native"
    assert variants.resolve("INT8, calibration 8%") == "tflite-int8-0.08"
    assert variants.resolve("tflite-int8-0.3") == "tflite-int8-0.3"
    assert variants.resolve("Imbalanced INT8") == "tflite-imbint8"
    assert variants.resolve("TFLite FP32") == "tflite-fp32"


def test_pasted_metrics_file_and_abbreviated_headers(submission, rubric):
    from grading.summary import analyze

    root, folder = submission
    (folder / "summary.md").write_text(
        "| Model | Acc | Prec | Sens | G-mean | Time (ms) |\n"
        "|---|---|---|---|---|---|\n"
        "| clustered-2-fp32 | 0.81 | 0.80 | 0.82 | 0.79 | 15 |\n\n"
        "### Metrics of pruned-0.5-fp32\n\n| Metric | Value |\n| --- | ---: |\n"
        "| Accuracy | 0.745000 |\n| Top-5 accuracy | 0.950000 |\n"
        "| Mean inference time | 15.300 ms (std 0.400 ms) |\n| Test samples | 1100 |\n"
    )
    result = analyze(root, rubric).to_dict()
    assert result["metrics"]["clustered-2-fp32"] == {
        "accuracy": 0.81,
        "precision": 0.80,
        "sensitivity": 0.82,
        "g_mean": 0.79,
        "inference_ms": 15.0,
    }
    pruned = result["metrics"]["pruned-0.5-fp32"]
    assert (pruned["accuracy"], pruned["top5"], pruned["inference_ms"]) == (
        0.745,
        0.95,
        15.3,
    )
    assert pruned["samples"] == 1100
    codes = [w["code"] for w in result["warnings"]]
    assert "fraction_not_mentioned" in codes


def test_short_paraphrased_headings(rubric):
    text = (
        "# Lab 03\n\n## Results\n\nSome numbers.\n\n## Best method?\n\nClustering with "
        "eight clusters: small and accurate, although pruning is close behind it.\n\n"
        "## Wnioski\n\n### Porównanie metod\n\n"
        "Klasteryzacja wygrywa z przycinaniem.\n\n"
        "### Deflacja\n\nTo procent zmniejszenia pliku przez ZIP.\n"
    )
    found = find(parse(text), lab_data(rubric)["questions"])
    assert found["q4"].heading == "Best method?"
    assert found["q1"].heading == "Porównanie metod"
    assert found["q3"].heading == "Deflacja"
    assert not found["q2"].found


def test_pasted_unzip_ls_and_du_listings(submission, rubric):
    from grading.summary import analyze

    root, folder = submission
    (folder / "summary.md").write_text(
        "## Compression\n\n```\n"
        " 16420000  Defl:N  1346000  92% 2026-11-23 10:00 1a2b3c4d  "
        "clustered-2-fp32.tflite\n"
        "-rw-r--r-- 1 ana ana 2053000 Nov 23 10:01 clustered-4-fp32.zip\n"
        "-rw-r--r-- 1 ana ana 2.6M lis 23 10:01 clustered-8-fp32.zip\n"
        "3432\tclustered-16-fp32.zip\n"
        "  adding: clustered-16-fp32.tflite (deflated 79%)\n```\n"
    )
    deflation = analyze(root, rubric).to_dict()["deflation"]
    assert deflation["clustered-2-fp32"] == {"percent": 92.0, "size_bytes": 1346000}
    assert deflation["clustered-4-fp32"]["size_bytes"] == 2053000
    assert deflation["clustered-8-fp32"]["size_bytes"] == round(2.6 * 1024**2)
    assert deflation["clustered-16-fp32"] == {
        "percent": 79.0,
        "size_bytes": 3432 * 1024,
    }
