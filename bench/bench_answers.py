"""Agreement of the answer assessors with the labelled answers.

Prints, for each labelled set of a lab (lab 03: corpus.toml, heldout.toml,
heldout2.toml and the fidelity labels; lab 02: l02_corpus.toml), per
question, per category and overall, how many suggestions fall within 0.25
of the instructor's points, the confusion table (label by suggestion) and
every disagreement with the instructor's reason. Reads the corpus of
``tests/answers/`` (no TensorFlow, a second or two)::

    .venv/bin/python bench/bench_answers.py [--lab l02_quantization] [-v]
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grading.pipeline.rubric import load_rubric  # noqa: E402
from grading.summary.analysis import lab_data  # noqa: E402
from grading.summary.answers import Assessment, assess_one  # noqa: E402
from tests.answers.corpus import SETS, load_corpus, load_tables, result_of  # noqa: E402

STEPS = (0.0, 0.5, 1.0)


def run(name: str = "corpus", lab: str = "l03_pruning_clustering") -> list:
    """Assess every answer of one labelled set; return (case, assessment) pairs."""
    data = lab_data(load_rubric(lab))
    tables = load_tables(SETS[lab][1])
    questions = {q["id"]: q for q in data["questions"]}
    out = []
    for case in load_corpus(name):
        result = result_of(tables[case["table"]], {case["question"]: case["text"]})
        got = assess_one(
            result.questions[case["question"]],
            questions[case["question"]],
            result,
            data,
        )
        if got is None:  # the rubric assesses no such question: a person reads it
            got = Assessment(None, ["no assessor for this question"], "not_assessed")
        out.append((case, got))
    return out


def main() -> int:
    labs = list(SETS)
    if "--lab" in sys.argv:
        labs = [sys.argv[sys.argv.index("--lab") + 1]]
    for lab in labs:
        for name in SETS[lab][0]:
            print(f"== {lab}: {name} ==")
            report(name, lab)
            print()
        if lab == "l03_pruning_clustering":
            print("== fidelity (generated summaries read end to end) ==")
            fidelity(lab)
            print()
    return 0


def fidelity(lab: str = "l03_pruning_clustering") -> list[tuple[str, float, object]]:
    """Read the fidelity corpus's generated summaries with the whole summary
    reader, assess them, and compare with ``fidelity_labels.toml``."""
    import tempfile
    import tomllib

    from grading.summary import analyze
    from grading.summary.answers import assess
    from tests.fidelity.summaries import summary

    rubric = load_rubric(lab)
    data = lab_data(rubric)
    with open(ROOT / "tests" / "answers" / "fidelity_labels.toml", "rb") as handle:
        labels = tomllib.load(handle)["labels"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, entry in enumerate(labels):
            repo = Path(tmp) / f"r{n}"
            folder = repo / data["dir"]
            folder.mkdir(parents=True)
            (repo / ".git").mkdir()
            (folder / "summary.md").write_text(summary(**entry["summary"]), "utf-8")
            got = assess(analyze(repo, rubric), data)
            for qid, points in entry["points"].items():
                rows.append((f"{entry['summary']} {qid}", points, got[qid]))
    ok = 0
    for name, points, got in rows:
        agree = got.score is not None and abs(got.score - points) <= 0.25
        ok += agree
        mark = "ok " if agree else "NO "
        print(f"  {mark} {name}: label {points}, suggested {got.score}")
    print(f"agreement: {ok}/{len(rows)} = {100 * ok / len(rows):.1f} %")
    return rows


def report(name: str, lab: str = "l03_pruning_clustering") -> None:
    """Print the agreement of one labelled set."""
    start = time.perf_counter()
    pairs = run(name, lab)
    seconds = time.perf_counter() - start
    agree = [
        abs((g.score if g.score is not None else -9) - c["points"]) <= 0.25
        for c, g in pairs
    ]
    by_q = Counter()
    ok_q = Counter()
    for (case, _), ok in zip(pairs, agree, strict=True):
        by_q[case["question"]] += 1
        ok_q[case["question"]] += ok
    print(f"{len(pairs)} labelled answers assessed in {seconds:.2f} s")
    for q in sorted(by_q):
        print(f"  {q}: {ok_q[q]}/{by_q[q]} within 0.25")
    by_c, ok_c = Counter(), Counter()
    for (case, _), ok in zip(pairs, agree, strict=True):
        key = f"{case.get('category', '?')} {case['lang']}"
        by_c[key] += 1
        ok_c[key] += ok
    shown = ", ".join(f"{k} {ok_c[k]}/{by_c[k]}" for k in sorted(by_c))
    print(f"  by category: {shown}")
    print(
        f"agreement: {sum(agree)}/{len(agree)} = {100 * sum(agree) / len(agree):.1f} %"
    )
    confusion = Counter((c["points"], g.score) for c, g in pairs)
    cols = [*STEPS, None]
    print("\nlabel \\ suggestion " + "".join(f"{str(s):>8}" for s in cols))
    for label in STEPS:
        print(f"{label:>18} " + "".join(f"{confusion[(label, s)]:>8}" for s in cols))
    print("\ndisagreements:")
    for (case, got), ok in zip(pairs, agree, strict=True):
        if not ok:
            print(
                f"- {case['id']}: label {case['points']}, suggested {got.score} "
                f"({case['reason']})"
            )
            for line in got.evidence:
                print(f"    {line}")
    if "-v" in sys.argv:
        for case, got in pairs:
            print(f"\n{case['id']} label {case['points']} got {got.score}")
            for line in got.evidence:
                print(f"    {line}")


if __name__ == "__main__":
    raise SystemExit(main())
