"""Summaries of the corpus, written the ways students write them.

Numbers are of the kind the real lab gives (FP32 TFLite of 16.42 MB, ZIP
deflation about 92 % for two clusters and 44 % for half the weights
pruned); each summary is generated from a few choices so that the corpus
can vary the format, the language and what is missing.
"""

from __future__ import annotations

BASE_BYTES = 16_420_000
VARIANTS = [
    "clustered-2-fp32",
    "clustered-4-fp32",
    "clustered-8-fp32",
    "clustered-16-fp32",
    "clustered-32-fp32",
    "pruned-0.2-fp32",
    "pruned-0.4-fp32",
    "pruned-0.5-fp32",
]
DEFLATION = {
    "tflite-fp32": 8.4,
    "clustered-2-fp32": 92.1,
    "clustered-4-fp32": 88.0,
    "clustered-8-fp32": 84.4,
    "clustered-16-fp32": 79.3,
    "clustered-32-fp32": 74.1,
    "pruned-0.2-fp32": 22.6,
    "pruned-0.4-fp32": 37.0,
    "pruned-0.5-fp32": 44.2,
}
#: Deflation of clustered models converted without stripping.
UNSTRIPPED = {f"clustered-{k}-fp32": 9.0 + k / 16 for k in (2, 4, 8, 16, 32)}
ACCURACY = {
    "clustered-2-fp32": 0.412,
    "clustered-4-fp32": 0.733,
    "clustered-8-fp32": 0.842,
    "clustered-16-fp32": 0.861,
    "clustered-32-fp32": 0.866,
    "pruned-0.2-fp32": 0.869,
    "pruned-0.4-fp32": 0.858,
    "pruned-0.5-fp32": 0.851,
}

ANSWERS_EN = {
    "Q1: How do quantization, pruning and clustering compare in their best "
    "variants?": "Quantization to INT8 made the model four times smaller and "
    "about three times faster with almost the same accuracy. Pruning at 20 % "
    "and clustering with 32 clusters keep the accuracy of the FP32 model but "
    "run at the same speed, because the file still holds 32-bit floats.",
    "Q2: How many times smaller are the compressed models than the FP32 TFLite "
    "model?": "After ZIP, clustered-2 is about 12 times smaller, clustered-16 "
    "about 4.8 times and pruned-0.5 about 1.8 times smaller than the zipped "
    "FP32 model; the .tflite files themselves all have the same size.",
    "Q3: What does deflation mean in ZIP and how does it relate to the "
    "optimizations?": "Deflation is the share of the file that the DEFLATE "
    "compression removed. Clustering leaves few distinct weight values and "
    "pruning leaves many zeros, and both repeat a lot, so they compress much "
    "better than the random-looking weights of the FP32 model.",
    "Q4: Which method gives the smallest and best-performing model; does one "
    "dominate?": "The smallest model is clustered-2, but its accuracy drops to "
    "41 %. The best trade-off is clustering with 16 clusters; no method wins "
    "on both size and quality at once, so none dominates.",
}

ANSWERS_PL = {
    "Pytanie 1: porównanie kwantyzacji, przycinania i klasteryzacji": "Kwantyzacja "
    "INT8 dała model cztery razy mniejszy i szybszy, przy prawie tej samej "
    "dokładności. Przycinanie i klasteryzacja w najlepszych wariantach nie "
    "tracą jakości, ale nie przyspieszają inferencji.",
    "Pytanie 2: ile razy mniejsze są modele od modelu FP32": "Po spakowaniu "
    "ZIP clustered-2 jest około 12 razy mniejszy, clustered-16 około 5 razy, a "
    "pruned-0.5 prawie 2 razy mniejszy od modelu FP32.",
    "Pytanie 3: co oznacza deflacja w ZIP": "Deflacja to procent, o który "
    "zmniejszył się plik po kompresji. Powtarzające się wartości wag po "
    "klasteryzacji i zera po przycinaniu kompresują się bardzo dobrze.",
    "Pytanie 4: która metoda daje najmniejszy i najlepszy model": "Najmniejszy "
    "jest clustered-2, ale ma słabą dokładność; najlepszy kompromis to "
    "clustered-16. Żadna metoda nie dominuje w obu kryteriach jednocześnie.",
}

THEORY = """## Theory: symmetric against asymmetric quantization

With zero points the product expands into four terms: the integer product,
two terms with one zero point each, and the product of the zero points. The
last one is a constant, but the two cross terms need the sums of the inputs
for every output, computed at run time, so asymmetric quantization adds
work that symmetric quantization (zero points equal to 0) does not have.
"""


def _mb(variant: str, table: dict[str, float]) -> float:
    return BASE_BYTES * (1 - table[variant] / 100) / 1e6


def summary(
    *,
    lang: str = "en",
    style: str = "table",
    variants: list[str] | None = None,
    percent_only: tuple[str, ...] = (),
    unstripped_clusters: bool = False,
    theory: bool = False,
    note: str = "",
) -> str:
    """Write a lab-03 summary.

    Parameters
    ----------
    lang : {"en", "pl"}
        Language of the headings and answers.
    style : {"table", "bullets"}
        Deflation as one Markdown table, or as a bullet per variant.
    variants : list of str, optional
        The variants reported (all eight by default).
    percent_only : tuple of str
        Variants whose ZIP size is left out (only the percentage given).
    unstripped_clusters : bool
        Report the low deflation of unstripped clustered models.
    theory : bool
        Add the answer to the 2021 theory task.
    note : str
        A paragraph at the top (what did not work).
    """
    variants = VARIANTS if variants is None else variants
    table = dict(DEFLATION)
    if unstripped_clusters:
        table.update(UNSTRIPPED)
    title = "Lab 03 summary" if lang == "en" else "Podsumowanie laboratorium 3"
    lines = [f"# {title}", ""]
    if note:
        lines += [note, ""]
    lines += ["## Metrics" if lang == "en" else "## Metryki", ""]
    lines += [
        "| Model | Accuracy | Mean precision | Mean sensitivity | G-mean "
        "| Inference time [ms] |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for v in variants:
        a = ACCURACY[v]
        lines.append(
            f"| {v} | {a:.3f} | {a - 0.01:.3f} | {a - 0.004:.3f} | {a - 0.02:.3f} "
            f"| {15.2 + len(v) / 10:.1f} |"
        )
    lines.append("")
    for v in variants:
        lines += [f"### {v}", "", f"![{v}](img/{v}-confusion-matrix.png)", ""]
    lines += ["", "## ZIP deflation" if lang == "en" else "## Deflacja ZIP", ""]
    shown = ["tflite-fp32", *variants]
    if style == "table":
        lines += ["| Model | ZIP size [MB] | Deflated [%] |", "| --- | --- | --- |"]
        for v in shown:
            size = "" if v in percent_only else f"{_mb(v, table):.2f}"
            lines.append(f"| {v} | {size} | {table[v]:.0f} |")
    else:
        for v in shown:
            size = "" if v in percent_only else f", ZIP {_mb(v, table):.2f} MB"
            lines.append(f"- {v}: deflated {table[v]:.0f}%{size}")
    lines.append("")
    answers = ANSWERS_EN if lang == "en" else ANSWERS_PL
    for heading, text in answers.items():
        lines += [f"## {heading}", "", text, ""]
    if theory:
        lines += [THEORY]
    return "\n".join(lines).rstrip() + "\n"
