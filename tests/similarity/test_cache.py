"""Fingerprints kept between runs: reused when nothing changed, never stale."""

from __future__ import annotations

from grading.private.similarity import detect

from . import class_builder as cb
from . import code_builder

LAB = "l03_pruning_clustering"


def _class(root):
    ada = code_builder.student_module("ada")
    copy = code_builder.rename_identifiers(ada, {"interpreter": "rt", "model": "net"})
    for seed, (name, code) in enumerate(
        [("ann", ada), ("ben", copy), ("cat", code_builder.student_module("cy"))]
    ):
        cb.write_submission(root / name, cb.Student(name, code, cb.pet_run(seed), {}))
    return root


def _flagged(result):
    return [(p["a"], p["b"]) for p in result["pairs"] if p["flagged"]]


def test_a_second_run_reuses_every_fingerprint_until_a_commit_changes(tmp_path):
    clones = _class(tmp_path / "clones")
    cache = tmp_path / "out" / ".similarity-cache"
    first = detect(clones, lab=LAB, cache_dir=cache)
    assert first["fingerprints_cached"] == 0 and _flagged(first) == [("ann", "ben")]
    again = detect(clones, lab=LAB, cache_dir=cache, jobs=2)
    assert again["fingerprints_cached"] == 3
    assert again["pairs"] == first["pairs"] and again["students"] == first["students"]
    # ben rewrites his module: his entry is computed anew, the old one removed
    module = clones / "ben" / code_builder.MODULE_PATH
    module.write_text(code_builder.student_module("hal"))
    cb.git(clones / "ben", "commit", "-qam", "l03_pruning_clustering: Rewrite")
    third = detect(clones, lab=LAB, cache_dir=cache)
    assert third["fingerprints_cached"] == 2 and _flagged(third) == []
    assert len(list(cache.glob("*.json"))) == 3


def test_a_damaged_entry_is_computed_again(tmp_path):
    clones = _class(tmp_path / "clones")
    cache = tmp_path / ".similarity-cache"
    first = detect(clones, lab=LAB, cache_dir=cache)
    for entry in cache.glob("*.json"):
        entry.write_text('{"student": "ann", "code": 7}')
    again = detect(clones, lab=LAB, cache_dir=cache)
    assert again["fingerprints_cached"] == 0 and again["pairs"] == first["pairs"]
