"""A timeout is never a score: the batch regrades it once, alone, with more time.

The fake grader (``fake_grade.py``) plays the contract of ``grade``: a run
that a time limit stopped writes ``results.json`` with ``status`` ``timeout``
and the items it could not check with status ``timeout``.
"""

from __future__ import annotations

import csv
import json
import os

from test_delivery_batch import make_repo

from grading.private import cohort as batch


def test_timeouts_are_regraded_once_alone_with_doubled_limits(tmp_path, fake_grader):
    from grading.pipeline.rubric import load_rubric

    test_limit = load_rubric("l03_pruning_clustering").section("hidden_tests")
    test_limit = float(test_limit["test_timeout"])
    clones = tmp_path / "clones"
    for name in ("alice", "lateonce", "alwayslate"):
        make_repo(clones / name, [("2026-01-01", name)])
    out = tmp_path / "grades"
    subs = batch.load_submissions(clones).submissions
    outcomes = batch.run_batch(subs, out, jobs=2, timeout=16, progress=False)
    by = {o.student: o for o in outcomes}
    assert len(outcomes) == 3
    assert (by["alice"].status, by["alice"].attempts) == ("graded", 1)
    first = json.loads((out / "alice" / "results.json").read_text())["argv"]
    assert first[first.index("--timeout") + 1] == "12"  # 3/4 of the batch's 16 s
    assert "--test-timeout" not in first
    # Stopped by grade's own limit, graded on the second attempt.
    assert (by["lateonce"].status, by["lateonce"].attempts) == ("graded", 2)
    assert not (out / "lateonce" / "status.json").exists()
    record = json.loads((out / "lateonce" / "submission.json").read_text())
    assert (record["attempt"], record["time_scale"]) == (2, 2.0)
    late = json.loads((out / "lateonce" / "results.json").read_text())
    # Every limit doubled: the batch's (32 s, the sandbox 3/4 of it) and the
    # rubric's per-test limit.
    argv = late["argv"]
    assert argv[argv.index("--timeout") + 1] == "24"
    assert float(argv[argv.index("--test-timeout") + 1]) == 2 * test_limit
    # The regrade ran alone: not pinned to a share of the CPUs.
    assert late["cpus"] == sorted(os.sched_getaffinity(0))
    # Still out of time: recorded as timeout (never a score), results kept.
    assert (by["alwayslate"].status, by["alwayslate"].attempts) == ("timeout", 2)
    status = json.loads((out / "alwayslate" / "status.json").read_text())
    assert status["status"] == "timeout" and status["attempts"] == 2
    assert "could not be checked" in status["message"]
    assert "(Code)" in status["message"]
    assert (out / "alwayslate" / "results.json").is_file()
    # The next run skips it; --retry-failed grades it again.
    todo, _ = batch.select(subs, out)
    assert todo == []
    todo, _ = batch.select(subs, out, retry_failed=True)
    assert [s.student for s in todo] == ["alwayslate"]

    batch.write_gradebook_safely(out)
    with open(out / "gradebook.csv", encoding="utf-8") as handle:
        rows = {r["student"]: r for r in csv.DictReader(handle)}
    assert rows["alwayslate"]["status"] == "timeout"
    assert rows["alwayslate"]["total"] == "" and rows["alwayslate"]["code"] == ""
    assert "time limit" in rows["alwayslate"]["reason"]
    assert rows["lateonce"]["status"] == "graded" and rows["lateonce"]["code"] == "1"
    html = (out / "index.html").read_text(encoding="utf-8")
    attention = html[html.index("Needs attention") : html.index("All submissions")]
    assert "alwayslate" in attention and "(not checked: Code)" in attention
    assert "lateonce" not in attention


def test_a_grading_the_batch_killed_is_regraded_with_more_time(tmp_path, fake_grader):
    clones = tmp_path / "clones"
    make_repo(clones / "slowonce", [("2026-01-01", "x")])
    out = tmp_path / "grades"
    subs = batch.load_submissions(clones).submissions
    (outcome,) = batch.run_batch(subs, out, timeout=3, progress=False)
    assert (outcome.status, outcome.attempts) == ("graded", 2), outcome
    assert not (out / "slowonce" / "status.json").exists()


def test_regrade_can_be_turned_off(tmp_path, fake_grader):
    clones = tmp_path / "clones"
    make_repo(clones / "lateonce", [("2026-01-01", "x")])
    out = tmp_path / "grades"
    subs = batch.load_submissions(clones).submissions
    (outcome,) = batch.run_batch(subs, out, progress=False, regrade_timeouts=False)
    assert (outcome.status, outcome.attempts) == ("timeout", 1)
