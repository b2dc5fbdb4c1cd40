"""The answer assessors: agreement with the labelled answers, evidence,
and a clear outcome for hostile, huge, empty and foreign answers."""

from __future__ import annotations

import dataclasses
import time

import pytest

from grading.summary.answers import assess, assess_one
from grading.summary.result import Answer

from .corpus import load_corpus, load_tables, result_of

QUESTIONS = ("q1", "q2", "q3", "q4")


def _question(data, qid):
    return next(q for q in data["questions"] if q["id"] == qid)


def _assess(data, table_id, qid, text, tables="tables"):
    result = result_of(load_tables(tables)[table_id], {qid: text})
    return assess_one(result.questions[qid], _question(data, qid), result, data)


@pytest.mark.parametrize(
    "name", ["corpus", "heldout", "heldout2", "heldout3", "l02_corpus", "l02_heldout"]
)
def test_agreement_with_the_instructor(data, l02_data, name):
    tables = "l02_tables" if name.startswith("l02") else "tables"
    data = l02_data if name.startswith("l02") else data
    cases = load_corpus(name)
    got = [_assess(data, c["table"], c["question"], c["text"], tables) for c in cases]
    agree = sum(
        g.score is not None and abs(g.score - c["points"]) <= 0.25
        for c, g in zip(cases, got, strict=True)
    )
    assert agree / len(cases) >= 0.85, f"{agree}/{len(cases)}"


def test_corpus_covers_what_the_issue_asks():
    cases = load_corpus()
    assert len(cases) >= 40
    assert {c["lang"] for c in cases} >= {"en", "pl"}
    assert {c["points"] for c in cases} == {0.0, 0.5, 1.0}
    for qid in QUESTIONS:
        assert sum(c["question"] == qid for c in cases) >= 10
    assert all(c["reason"].strip() for c in cases)


CATEGORIES = {"good", "partial", "wrong", "offtopic", "contradicts"}


@pytest.mark.parametrize(
    "name", ["corpus", "heldout", "heldout2", "heldout3", "l02_corpus", "l02_heldout"]
)
def test_every_labelled_answer_has_a_category(name):
    cases = load_corpus(name)
    assert all(c["category"] in CATEGORIES for c in cases), name
    assert all(c["points"] in (0.0, 0.5, 1.0) for c in cases)


def test_lab02_set_covers_every_category_in_both_languages():
    cases = load_corpus("l02_corpus")
    tables = load_tables("l02_tables")
    assert len(cases) >= 40
    for qid in QUESTIONS:
        assert sum(c["question"] == qid for c in cases) >= 10
    for lang in ("en", "pl"):
        assert {c["category"] for c in cases if c["lang"] == lang} == CATEGORIES
    assert all(c["table"] in tables and c["reason"].strip() for c in cases)


def test_every_suggestion_carries_evidence_that_quotes(data):
    for case in load_corpus() + load_corpus("heldout") + load_corpus("heldout2"):
        got = _assess(data, case["table"], case["question"], case["text"])
        assert got.evidence, case["id"]
        if got.score is not None and got.score > 0:
            # never "found, so full points": a quoted passage backs it
            assert any("«" in line for line in got.evidence), case["id"]
        for line in got.evidence:
            assert len(line) < 600


def test_contradiction_quotes_the_table(data):
    text = "Int models were the smallest, but clustering outperforms them."
    got = _assess(data, "T1", "q4", text)
    assert got.score == 0.0
    line = next(x for x in got.evidence if "contradicts" in x)
    assert "«Int models were the smallest" in line and "clustered-2-fp32" in line
    assert "1.26 MB" in line


def test_percentage_passed_off_as_ratio_is_called_out(data):
    got = _assess(data, "T2", "q2", "The clustered model was 48% smaller than FP32.")
    assert got.score == 0.0
    assert any(x.startswith("called out") and "48 %" in x for x in got.evidence)


def _with(data, qid, **changes):
    questions = [
        {**q, "assess": {**q["assess"], **changes}} if q["id"] == qid else q
        for q in data["questions"]
    ]
    return {**data, "questions": questions}


def test_the_numbers_ratio_and_pareto_use_are_rubric_data(data):
    text = "clustered-2 is 13x smaller and pruned-0.5 is 1.8x smaller than FP32."
    assert _assess(data, "T1", "q2", text).score == 1.0
    raw_only = _with(data, "q2", ratios=[["raw", "raw"]], baseline_title="base")
    got = _assess(raw_only, "T1", "q2", text)
    assert got.score == 0.0  # the .tflite files before ZIP are all 1x
    assert got.evidence[0].startswith("baseline: base ")
    by_raw = _with(data, "q4", size="raw_bytes", axes="raw size, accuracy")
    front = _assess(by_raw, "T1", "q4", "Clustering is the smallest.").evidence[0]
    assert front.startswith("Pareto front of your table (raw size, accuracy)")
    assert "clustered-8-fp32 16.4 MB 84.11 %" in front


HOSTILE = {
    "empty": "",
    "spaces": " \n\t \n",
    "one word": "Clustering.",
    "nul bytes": "clustered-2 \x00\x00 is 13x smaller \x00",
    "huge": "cluster pruning 13x smaller 8 clusters. " * 50_000,
    "only digits": "1 2 3 4 5 6 7 8 9 " * 2000,
    "brackets": "(" * 20_000 + "clustered-2" + ")" * 20_000,
    "ratios storm": "2x " * 30_000,
    "rtl and zero width": "\u202eclustered-2\u200b is\u200b the smallest\u202c model",
    "german": "Das beste Modell ist das mit acht Clustern, die Genauigkeit ist hoch "
    "und die Variante mit Pruning ist etwas schlechter als die mit Clustering.",
    "chinese": "聚类模型最小,剪枝模型最准确。",
    "markup": "<script>alert(1)</script> clustered-2 is **13x** smaller",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_answers_get_a_clear_outcome(data, name):
    for qid in QUESTIONS:
        start = time.perf_counter()
        got = _assess(data, "T1", qid, HOSTILE[name])
        assert time.perf_counter() - start < 5, (name, qid)
        assert got.code in ("assessed", "not_assessed", "no_answer")
        assert got.score in (None, 0.0, 0.5, 1.0)
        assert got.evidence and all(len(line) < 600 for line in got.evidence)
    if name in ("german", "chinese"):
        assert got.score is None and got.code == "not_assessed"
    if name in ("empty", "spaces", "one word"):
        assert got.score == 0.0


def test_no_answer_and_empty_table(data):
    result = result_of(load_tables()["T1"], {})
    got = assess_one(None, _question(data, "q1"), result, data)
    assert got.score == 0.0 and got.code == "no_answer"
    empty = dataclasses.replace(result, metrics={}, deflation={})
    empty.baseline = dataclasses.replace(result.baseline, original_sizes={})
    for qid in QUESTIONS:
        answer = Answer(found=True, excerpt="Clustering is best and 13x smaller.")
        got = assess_one(answer, _question(data, qid), empty, data)
        assert got.score in (0.0, 0.5, 1.0) and got.evidence


def test_rubric_decides_which_questions_are_assessed(data):
    result = result_of(
        load_tables()["T1"], {q: "clustered-2 is 13x smaller" for q in QUESTIONS}
    )
    assert set(assess(result, data)) == set(QUESTIONS)
    plain = {
        **data,
        "questions": [
            {k: v for k, v in q.items() if k != "assess"} for q in data["questions"]
        ],
    }
    assert assess(result, plain) == {}
    odd = {**data, "questions": [{**data["questions"][0], "assess": {"kind": "magic"}}]}
    got = assess(result, odd)["q1"]
    assert got.score is None and "unknown assessor kind" in got.evidence[0]


@pytest.mark.parametrize(
    "text",
    [
        "clustered-2: 1.3 MB per model, 13x smaller",
        "- clustered-2: 13x\n- pruned-0.5: 1.8x",
        "Klastry: 13 razy, przycinanie: 1,8 raza",
    ],
)
def test_terse_english_and_polish_are_read(data, text):
    got = _assess(data, "T1", "q2", text)
    assert got.code == "assessed" and got.score is not None


def test_keyword_stuffing_goes_to_a_person(data):
    stuffed = (
        "DEFLATE repeated patterns redundancy LZ77 Huffman clustering few distinct "
        "values centroids pruning zeros sparsity FP32 random"
    )
    got = _assess(data, "T1", "q3", stuffed)
    assert got.score is None and got.code == "not_assessed"
    assert "list of keywords" in got.evidence[0]


def _l02(l02_data, table, qid, text):
    return _assess(l02_data, table, qid, text, "l02_tables")


def test_lab02_every_suggestion_carries_evidence_that_quotes(l02_data):
    for case in load_corpus("l02_corpus"):
        got = _l02(l02_data, case["table"], case["question"], case["text"])
        assert got is not None and got.evidence, case["id"]
        assert got.kind in ("best_of_groups", "trend")
        if got.score:
            assert any("«" in line for line in got.evidence), case["id"]


def test_lab02_both_aspects_contradicted_give_nothing(l02_data):
    text = "Native is more accurate than TFLite FP32, and TFLite is slower."
    got = _l02(l02_data, "L1", "q1", text)
    assert got.score == 0.0
    lines = [x for x in got.evidence if x.startswith("contradicts")]
    assert len(lines) == 2
    assert "both are equal" in lines[0] and "83.64 %" in lines[0]
    assert "22.4 ms" in lines[1] and "61.2 ms" in lines[1]


def test_lab02_times_faster_is_checked_against_the_table(l02_data):
    right = _l02(l02_data, "L1", "q1", "Same accuracy 0.8364; TFLite is 2.7x faster.")
    wrong = _l02(l02_data, "L1", "q1", "Same accuracy 0.8364; TFLite is 10x faster.")
    assert right.score == 1.0 and wrong.score == 0.5
    assert any("2.73x" in line for line in wrong.evidence)


@pytest.mark.parametrize(
    ("table", "text", "score", "says"),
    [
        ("L1", "Accuracy rises: 0.8012, 0.8230, 0.8301.", 1.0, "rising"),
        ("L3", "Accuracy rises: 0.8290, 0.8301.", 0.0, "flat"),
        ("L2", "The calibration size has no effect on accuracy.", 0.0, "rising"),
        ("L3", "The calibration size has no effect on accuracy.", 0.5, "flat"),
    ],
)
def test_trend_is_judged_against_the_table(l02_data, table, text, score, says):
    got = _l02(l02_data, table, "q3", text)
    assert got.score == score
    assert says in got.evidence[0]  # the table's own trend, with its numbers
    assert "%" in got.evidence[0]


def test_an_optional_concept_is_shown_but_never_deducted(data):
    text = (
        "DEFLATE replaces repeated byte patterns with back-references. Clustering "
        "leaves few distinct values, so its weights repeat; pruning sets many "
        "weights to zero, which compress well."
    )
    got = _assess(data, "T1", "q3", text)
    assert got.score == 1.0
    assert any(x.startswith("not required, not given: FP32") for x in got.evidence)
    more = _assess(
        data, "T1", "q3", text + " FP32 weights look random and barely shrink."
    )
    assert more.score == 1.0
    assert any(x.startswith("has FP32 weights deflate little") for x in more.evidence)
