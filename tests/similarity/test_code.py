"""Code fingerprints: disguises that must not hide a copy, template as boilerplate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grading.pipeline.rubric import load_rubric
from grading.private.similarity import boilerplate, code
from grading.private.similarity.compare import code_score
from grading.private.similarity.settings import from_rubric
from grading.util.paths import REPO_ROOT

from . import code_builder

SETTINGS = from_rubric(load_rubric("l03_pruning_clustering"))
MIRROR = boilerplate.DEFAULT_MIRROR


def _stub_hashes() -> set[int]:
    return code.template_hashes(boilerplate.our_modules(SETTINGS), SETTINGS.k)


def _print(source: str, hashes=frozenset()):
    return code.fingerprint_code(
        [(code_builder.MODULE_PATH, source)],
        SETTINGS.k,
        SETTINGS.window,
        hashes,
        SETTINGS.min_own,
    )


def _overlap(a: str, b: str, hashes=frozenset()) -> float:
    pa, pb = _print(a, hashes), _print(b, hashes)
    shared = pa.hashes & pb.hashes
    return len(shared) / max(1, min(len(pa.hashes), len(pb.hashes)))


def test_renaming_reordering_and_comments_keep_the_fingerprints():
    original = code_builder.student_module("bo")
    renamed = code_builder.rename_identifiers(
        original, {"runner": "x1", "wrapped": "m", "base": "src", "save_as_tflite": "f"}
    )
    shuffled = code_builder.add_comments(code_builder.reorder_methods(original), 2)
    compile(renamed, "renamed", "exec")
    compile(shuffled, "shuffled", "exec")
    hashes = _stub_hashes()
    assert _overlap(original, renamed, hashes) == 1.0
    assert _overlap(original, shuffled, hashes) >= 0.8
    requoted = original.replace('"wb"', "'wb'").replace("    ", "\t")
    assert _overlap(original, requoted.replace("\t", "    "), hashes) == 1.0


def test_independent_implementations_stay_below_the_floor():
    names = ["ada", "bo", "cy", "di", "ed", "fay", "gus", "hal", "kim", "lea", "max"]
    hashes = _stub_hashes()
    prints = {n: _print(code_builder.student_module(n), hashes).hashes for n in names}
    worst = max(
        len(prints[a] & prints[b]) / min(len(prints[a]), len(prints[b]))
        for i, a in enumerate(names)
        for b in names[i + 1 :]
    )
    assert worst < SETTINGS.code_floor


def test_the_untouched_stub_has_no_fingerprint_of_its_own():
    stub = code_builder.STUB.read_text(encoding="utf-8")
    printed = _print(stub, _stub_hashes())
    assert printed.where == {} and printed.boilerplate > 100


def test_template_text_around_a_students_lines_is_not_shared():
    # Two students who both write a one-line body: the k-grams that straddle
    # the template's def line and their line are mostly template text.
    parts = {"TFMOTOptimizedModel.postprocess_outputs": "        return Y\n"}
    a = code_builder.fill_stub(parts)
    b = code_builder.fill_stub(
        {
            "TFMOTOptimizedModel.postprocess_outputs": "        return Y\n",
            "TFMOTOptimizedModel.run_inference": "        return None\n",
        }
    )
    pa, pb = _print(a, _stub_hashes()), _print(b, _stub_hashes())
    assert not pa.hashes & pb.hashes


def test_kgram_hashes_do_not_depend_on_the_process():
    text = "defF(self,V):returnV.V(V)"
    seeds = {
        subprocess.run(
            [sys.executable, "-c", "print(hash('abc'))"],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(seeds) == 2  # Python's own hash() does change between processes
    other = subprocess.run(
        [
            sys.executable,
            "-c",
            "from grading.private.similarity.code import kgram_hashes\n"
            f"print(kgram_hashes({text!r}, 10).tolist())",
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(other) == code.kgram_hashes(text, 10).tolist()


def test_matched_spans_point_at_the_copied_lines():
    source = code_builder.student_module("fay")
    copy = code_builder.rename_identifiers(source, {"engine": "rt", "api": "lib"})
    pa, pb = _print(source, _stub_hashes()), _print(copy, _stub_hashes())
    spans = code.matched_spans(pa, pb, pa.hashes & pb.hashes, SETTINGS.k, 5, 40)
    assert spans
    lines = source.splitlines()
    first, last = spans[0]["a"]["lines"]
    assert spans[0]["a"]["text"] == "\n".join(lines[first - 1 : last])
    assert "self.rt" in "\n".join(s["b"]["text"] for s in spans)


def test_code_score_needs_enough_fingerprints():
    assert code_score(1.0, 400, SETTINGS) == 1.0
    assert code_score(SETTINGS.code_floor, 400, SETTINGS) == 0.0
    assert code_score(1.0, SETTINGS.min_fingerprints // 2, SETTINGS) == 0.5


def test_hostile_modules_do_not_break_the_tokeniser():
    for text in ("\0\0\0", "def (((", "'''" * 1000, "x = '\udcff'", "é" * 5000):
        printed = _print(text)
        assert isinstance(printed.where, dict)


def test_stored_original_course_fingerprints_hold_no_code_and_match_k():
    path = boilerplate.boilerplate_file("l03_pruning_clustering")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["k"] == SETTINGS.k and data["hash"] == code.HASH_NAME
    ids = {v["id"] for v in data["versions"]}
    from grading.versions import load_versions

    assert ids == {v.id for v in load_versions() if not v.is_ours}
    text = path.read_text(encoding="utf-8")
    for word in ("import", "def ", "class ", "tfmot", "keras"):
        assert word not in text.replace("keras_", "")  # hashes and paths only
    assert len(boilerplate.decode(data["hashes"])) == data["count"]


@pytest.mark.skipif(not MIRROR.exists(), reason="no mirror of the original course")
def test_stored_fingerprints_are_those_of_the_mirror():
    stored = json.loads(
        boilerplate.boilerplate_file("l03_pruning_clustering").read_text("utf-8")
    )
    fresh = boilerplate.build(MIRROR, SETTINGS)
    assert fresh["hashes"] == stored["hashes"]
    assert [v["files"] for v in fresh["versions"]] == [
        v["files"] for v in stored["versions"]
    ]


@pytest.mark.skipif(not MIRROR.exists(), reason="no mirror of the original course")
def test_a_fork_of_the_original_course_scores_nothing_for_its_template(tmp_path):
    # Built at run time from the mirror; no code of the original is stored.
    versions = boilerplate.original_versions(MIRROR, SETTINGS)
    latest = dict(versions[-1]["modules"])
    module = "dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py"
    template = latest[module]
    hashes, warnings = boilerplate.template_hashes(SETTINGS, "l03_pruning_clustering")
    assert not warnings
    printed = code.fingerprint_code(
        [(module, template)], SETTINGS.k, SETTINGS.window, hashes, SETTINGS.min_own
    )
    assert printed.where == {}
    # and a student's own lines added to it do count
    own = (
        template
        + "\n\ndef helper(model, path):\n"
        + "".join(
            f"    value_{i} = model.layers[{i}].get_weights()[0].sum() * {i}\n"
            for i in range(12)
        )
    )
    printed = code.fingerprint_code(
        [(module, own)], SETTINGS.k, SETTINGS.window, hashes, SETTINGS.min_own
    )
    assert len(printed.where) > 10


def test_a_changed_k_disables_the_stored_fingerprints_with_a_warning(tmp_path):
    from dataclasses import replace

    other = replace(SETTINGS, k=SETTINGS.k + 5)
    stored, warnings = boilerplate.load_stored(
        other, boilerplate.boilerplate_file("l03_pruning_clustering")
    )
    assert (
        stored == set()
        and "python -m grading.private.similarity.boilerplate" in (warnings[0])
    )
    missing, warnings = boilerplate.load_stored(SETTINGS, Path(tmp_path / "none.json"))
    assert missing == set() and warnings
