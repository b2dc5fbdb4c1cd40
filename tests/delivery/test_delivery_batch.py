"""Batch grading: inputs, working copies, resumption, failures, atomicity."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from delivery_helpers import FAKE_GRADER, REPO, git

from grading.private import cohort as batch
from grading.util.io import write_json


def make_repo(path: Path, commits: list[tuple[str, str]]) -> list[str]:
    """Create a git repository with one commit per (date, text); return shas."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    shas = []
    for date, text in commits:
        (path / "work.txt").write_text(text)
        git(path, "add", "work.txt")
        env_date = f"{date}T12:00:00+00:00"
        subprocess.run(
            [
                "git",
                "-c",
                "user.name=A",
                "-c",
                "user.email=a@b.c",
                "commit",
                "-q",
                "-m",
                f"course: Write {text}",
            ],
            cwd=path,
            check=True,
            env={
                **os.environ,
                "GIT_AUTHOR_DATE": env_date,
                "GIT_COMMITTER_DATE": env_date,
            },
        )
        shas.append(git(path, "rev-parse", "HEAD"))
    return shas


def test_roster_csv_header_relative_paths_and_errors(tmp_path):
    (tmp_path / "repos").mkdir()
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "Student ID,Repository,Deadline\n"
        "# a comment\n"
        "alice,repos/alice,2026-01-10T00:00:00Z\n"
        "bob,https://example.org/bob.git,\n"
    )
    subs = batch.read_roster(roster).submissions
    assert [s.student for s in subs] == ["alice", "bob"]
    assert subs[0].source == str((tmp_path / "repos" / "alice").resolve())
    assert subs[0].deadline == "2026-01-10T00:00:00Z"
    assert subs[1].source == "https://example.org/bob.git"

    roster.write_text("carol,/x/carol\ncarol,/x/carol2\n")  # no header, duplicate
    with pytest.raises(batch.BatchError, match="line 2.*listed twice"):
        batch.read_roster(roster)
    roster.write_text("../etc,/x\n-rf,/x\nok,/x\n")  # reported, not an error
    read = batch.read_roster(roster)
    assert [s.student for s in read.submissions] == ["ok"]
    assert [r.student for r in read.rejected] == ["../etc", "-rf"]
    assert "line 2" in read.rejected[1].source
    assert "starts with a dash" in read.rejected[1].message
    roster.write_text("dave\n")
    with pytest.raises(batch.BatchError, match="line 1: needs a student id and a repo"):
        batch.read_roster(roster)


def test_deadline_checkout_never_touches_the_clone(tmp_path):
    repo = tmp_path / "alice"
    shas = make_repo(
        repo, [("2026-01-01", "one"), ("2026-01-05", "two"), ("2026-01-09", "late")]
    )
    (repo / "untracked.txt").write_text("mine")
    before = git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD")

    by_date = batch.Submission("alice", str(repo), "2026-01-06T00:00:00Z")
    assert batch.prepare_working_copy(by_date, tmp_path / "w1") == shas[1]
    assert (tmp_path / "w1" / "work.txt").read_text() == "two"
    assert git(tmp_path / "w1", "rev-parse", "--abbrev-ref", "HEAD") == "main"

    by_sha = batch.Submission("alice", str(repo), shas[0])
    assert batch.prepare_working_copy(by_sha, tmp_path / "w2") == shas[0]
    assert (
        batch.prepare_working_copy(
            batch.Submission("alice", str(repo)), tmp_path / "w3"
        )
        == shas[2]
    )
    too_early = batch.Submission("alice", str(repo), "2025-12-01")
    with pytest.raises(batch.BatchError, match="no commit before the deadline"):
        batch.prepare_working_copy(too_early, tmp_path / "w4")
    assert (
        git(repo, "status", "--porcelain"),
        git(repo, "rev-parse", "HEAD"),
    ) == before


def test_batch_resumes_records_failures_and_kills_the_process_group(
    tmp_path, fake_grader
):
    clones = tmp_path / "clones"
    for name in ("alice", "boom", "forker", "nowrite"):
        make_repo(clones / name, [("2026-01-01", name)])
    out = tmp_path / "grades"
    subs = batch.load_submissions(clones).submissions
    todo, skipped = batch.select(subs, out)
    assert len(todo) == 4 and not skipped
    outcomes = batch.run_batch(todo, out, jobs=2, timeout=4, progress=False)
    by = {o.student: o for o in outcomes}
    assert by["alice"].status == "graded" and by["alice"].score == 1.0
    assert by["boom"].status == "error" and "boom in the grader" in by["boom"].message
    assert by["forker"].status == "timeout"
    assert by["nowrite"].status == "error"
    status = json.loads((out / "boom" / "status.json").read_text())
    assert status["student"] == "boom" and status["status"] == "error"
    assert "exited with code 3" in status["message"] and status["seconds"] > 0
    assert (
        json.loads((out / "forker" / "status.json").read_text())["status"] == "timeout"
    )
    grandchild = int((out / "forker.pid").read_text())
    time.sleep(0.2)
    assert (
        not Path(f"/proc/{grandchild}").exists()
        or "Z" in Path(f"/proc/{grandchild}/stat").read_text().split()[2]
    )
    # the student's files were graded from a scratch clone that is gone now
    results = json.loads((out / "alice" / "results.json").read_text())
    assert results["head"] == git(clones / "alice", "rev-parse", "HEAD")
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= 2:  # two jobs: each grading pinned to its own half
        assert len(results["cpus"]) == len(cpus) // 2
        assert batch.cpu_slots(2) == [set(cpus[0::2]), set(cpus[1::2])]
        # and its thread pools sized to that half
        assert f"--threads={len(cpus) // 2}" in results["argv"]
    assert batch.threads_per_job(1) == 0
    assert batch.threads_per_job(len(cpus) * 4) == 1
    assert batch.cpu_slots(1) == [] and batch.cpu_slots(len(cpus) + 1) == []
    assert ".partial" not in os.listdir(out) or not os.listdir(out / ".partial")
    assert not any((out / ".work").iterdir())
    assert "graded alice" in (out / "alice" / "grade.log").read_text()

    # resumption: finished and failed students are skipped, --only regrades one
    todo, skipped = batch.select(subs, out)
    assert todo == [] and len(skipped) == 4
    todo, _ = batch.select(subs, out, retry_failed=True)
    assert sorted(s.student for s in todo) == ["boom", "forker", "nowrite"]
    todo, _ = batch.select(subs, out, only=["alice"])
    assert [s.student for s in todo] == ["alice"]
    with pytest.raises(batch.BatchError, match="not in the submissions: zed"):
        batch.select(subs, out, only=["zed"])

    files = batch.write_gradebook_safely(out)
    assert out / "gradebook.csv" in files
    text = (out / "gradebook.csv").read_text()
    for name in ("alice", "boom", "forker", "nowrite"):
        assert name in text


def test_gradebook_lists_a_timed_out_student(tmp_path, fake_grader):
    clones = tmp_path / "clones"
    make_repo(clones / "alice", [("2026-01-01", "a")])
    out = tmp_path / "grades"
    batch.run_batch(batch.load_submissions(clones).submissions, out, progress=False)
    write_json(
        out / "zoe" / "status.json",
        {
            "student": "zoe",
            "status": "timeout",
            "message": "too slow\nmore",
            "seconds": 9,
        },
    )
    batch.write_gradebook_safely(out)
    rows = list(csv.DictReader((out / "gradebook.csv").open(encoding="utf-8")))
    by_student = {row["student"]: row for row in rows}
    assert by_student["alice"]["status"] == "graded"
    assert by_student["zoe"]["status"] == "timeout"
    assert "too slow" in (out / "index.html").read_text(encoding="utf-8")


KILL_SCRIPT = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    os.environ["GRADING_GRADE_COMMAND"] = f"{{sys.executable}} {fake}"
    import grading.private.cohort as batch
    subs = batch.load_submissions(Path({clones!r})).submissions
    batch.run_batch(subs, Path({out!r}), jobs=2, progress=False)
""")


def test_a_killed_batch_loses_nothing_finished(tmp_path):
    clones = tmp_path / "clones"
    make_repo(clones / "fast", [("2026-01-01", "f")])
    make_repo(clones / "slow", [("2026-01-01", "s")])
    out = tmp_path / "grades"
    script = KILL_SCRIPT.format(
        fake=str(FAKE_GRADER),
        clones=str(clones),
        out=str(out),
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO)
    deadline = time.monotonic() + 30
    while not (out / "fast" / "results.json").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert json.loads((out / "fast" / "results.json").read_text())["status"] == "graded"
    assert not (out / "slow").exists()  # never half-written
    subs = batch.load_submissions(clones).submissions
    todo, skipped = batch.select(subs, out)
    assert [s.student for s in todo] == ["slow"]
    assert [s.student for s in skipped] == ["fast"]
    # The orphaned grader of "slow" is in its own session; stop it by its pid file.
    for line in subprocess.run(
        ["pgrep", "-f", str(out / ".work")], capture_output=True, text=True
    ).stdout.split():
        os.kill(int(line), signal.SIGKILL)
    batch.clean_stale(out)
    assert not (out / ".work").exists() and not (out / ".partial").exists()


def test_sigterm_stops_the_batch_and_its_graders(tmp_path):
    clones = tmp_path / "clones"
    make_repo(clones / "fast", [("2026-01-01", "f")])
    make_repo(clones / "slow", [("2026-01-01", "s")])
    out = tmp_path / "grades"
    env = {**os.environ, "GRADING_GRADE_COMMAND": f"{sys.executable} {FAKE_GRADER}"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "grading",
            "batch",
            str(clones),
            "--out",
            str(out),
            "--jobs",
            "2",
            "--no-progress",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not (out / "fast" / "results.json").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted; finished students are kept" in err
    assert (out / "fast" / "results.json").is_file()
    assert not (out / "slow").exists()  # interrupted is not failed
    left = subprocess.run(["pgrep", "-f", str(out)], capture_output=True, text=True)
    assert left.stdout.strip() == ""


def test_short_batch_timeout_is_passed_down_to_the_sandbox():
    from grading.pipeline.rubric import load_rubric

    lab = "l03_pruning_clustering"
    section = load_rubric(lab).section("hidden_tests")
    limit, test_limit = float(section["timeout"]), float(section["test_timeout"])
    # Plenty of room: grade keeps the rubric's own limit.
    assert batch.limit_args(limit * 10, lab) == []
    # Too little room: the sandbox stops first, so grade still writes results.
    args = batch.limit_args(limit / 2, lab)
    assert args[0] == "--timeout" and float(args[1]) < limit / 2
    # An explicit choice of the instructor wins when it fits.
    assert batch.limit_args(limit / 2, lab, ["--timeout", "7"]) == []
    # The regrade doubles every limit, the instructor's too (the last wins).
    doubled = batch.limit_args(limit * 10, lab, scale=2)
    assert doubled == [
        "--timeout",
        f"{2 * limit:g}",
        "--test-timeout",
        f"{2 * test_limit:g}",
    ]
    mine = batch.limit_args(limit * 10, lab, ["--timeout=7", "--test-timeout", "3"], 2)
    assert mine == ["--timeout", "14", "--test-timeout", "6"]
