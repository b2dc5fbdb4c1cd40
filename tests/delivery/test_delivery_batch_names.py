"""A batch survives any folder name, and passes grade's options on safely."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from delivery_helpers import FAKE_GRADER, REPO
from test_delivery_batch import make_repo

from grading.private import cohort as batch

#: Folder names the batch cannot use as student ids, and a word of the reason.
UNUSABLE = {
    "-2+3": "starts with a dash",
    "--out=x": "starts with a dash",
    "with space": "blank",
    "Żaneta": "outside ASCII",
    ".hidden": "starts with a dot",
    "semi;colon": "other than letters",
    "slurm": "batch's own files",
    "index.html": "batch's own files",
    "a" * 101: "longer than 100",
}


def run_batch_cli(clones: Path, out: Path, *extra: str, trace: Path | None = None):
    env = {**os.environ, "GRADING_GRADE_COMMAND": f"{sys.executable} {FAKE_GRADER}"}
    if trace is not None:
        env["GIT_TRACE"] = str(trace)  # every git command the batch runs
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "grading",
            "batch",
            str(clones),
            "--out",
            str(out),
            "--no-progress",
            *extra,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_id_rules():
    for name, word in UNUSABLE.items():
        assert word in batch.id_problem(name), name
    for name in ("alice", "2+3", "a.b_c@d-e", "A1", "a" * 100):
        assert batch.id_problem(name) == "", name


def test_unusable_folder_names_are_listed_as_not_graded(tmp_path):
    clones = tmp_path / "clones"
    make_repo(clones / "alice", [("2026-01-01", "a")])
    for name in UNUSABLE:
        make_repo(clones / name, [("2026-01-01", "x")])
    (clones / ".git").mkdir()  # the folder of clones may itself be a repository
    (clones / "notes.txt").write_text("not a submission")
    out, trace = tmp_path / "grades", tmp_path / "git-trace.txt"

    proc = run_batch_cli(clones, out, trace=trace)

    # The rest of the class is graded; the exit status counts the others.
    assert proc.returncode == len(UNUSABLE), proc.stderr
    assert (out / "alice" / "results.json").is_file()
    assert f"{len(UNUSABLE)} submission(s) without a grade" in proc.stderr
    # Nothing of theirs reached git or grade, and no folder was made for them.
    called = trace.read_text(errors="replace")
    assert "clones/alice" in called
    for name in UNUSABLE:
        assert f"clones/{name}" not in called, name
    kept = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    assert kept == {
        "alice",
        "gradebook.csv",
        "index.html",
        "batch-plan.json",
        "not-graded.json",
        "similarity.json",
    }
    argv = json.loads((out / "alice" / "results.json").read_text())["argv"]
    assert "--student=alice" in argv
    # The gradebook and the class page list each one, with the reason.
    rows = list(csv.DictReader((out / "gradebook.csv").open(encoding="utf-8")))
    by = {r["student"].removeprefix("'"): r for r in rows}
    assert by["alice"]["status"] == "graded" and by["alice"]["reason"] == ""
    html = (out / "index.html").read_text(encoding="utf-8")
    for name, word in UNUSABLE.items():
        row = by[name]
        assert row["status"] == "not_graded" and row["total"] == ""
        assert word in row["reason"] and "not usable" in row["reason"]
        assert name.replace("&", "&amp;") in html
    assert by["-2+3"]["reason"].startswith("the id")
    assert rows[[r["student"] for r in rows].index("'-2+3")]  # formula-safe
    assert "Not graded: the id &#39;-2+3&#39; is not usable" in html
    assert f"<b>{len(UNUSABLE)}</b><span>not graded</span>" in html
    # A second run grades nothing new and reports the same.
    again = run_batch_cli(clones, out)
    assert again.returncode == len(UNUSABLE) and "0 to grade" in again.stderr


def test_renamed_folder_leaves_the_not_graded_list(tmp_path):
    clones = tmp_path / "clones"
    make_repo(clones / "-bob", [("2026-01-01", "b")])
    out = tmp_path / "grades"
    assert run_batch_cli(clones, out).returncode == 1
    (clones / "-bob").rename(clones / "bob")
    proc = run_batch_cli(clones, out)
    assert proc.returncode == 0, proc.stderr
    assert not (out / "not-graded.json").exists()
    assert "not_graded" not in (out / "gradebook.csv").read_text()


def test_undecodable_folder_name_is_reported(tmp_path):
    clones = tmp_path / "clones"
    make_repo(clones / "alice", [("2026-01-01", "a")])
    os.mkdir(os.fsencode(clones) + b"/bad\xff\xfename")
    roster = batch.load_submissions(clones)
    assert [s.student for s in roster.submissions] == ["alice"]
    assert roster.rejected[0].student == "bad\ufffd\ufffdname"
    out = tmp_path / "grades"
    proc = run_batch_cli(clones, out)
    assert proc.returncode == 1, proc.stderr
    assert "bad\ufffd\ufffdname" in (out / "gradebook.csv").read_text("utf-8")


def test_roster_deadline_cannot_be_an_option(tmp_path):
    repo = tmp_path / "alice"
    make_repo(repo, [("2026-01-01", "a")])
    sub = batch.Submission("alice", str(repo), "--output=/tmp/x")
    try:
        batch.prepare_working_copy(sub, tmp_path / "w")
    except batch.BatchError as exc:
        assert "neither an ISO date-time nor a commit" in str(exc)
    else:  # pragma: no cover - must fail
        raise AssertionError("a deadline starting with a dash was used")


def test_grade_options_are_checked_and_passed_on(tmp_path):
    clones = tmp_path / "clones"
    make_repo(clones / "alice", [("2026-01-01", "a")])
    out = tmp_path / "grades"
    proc = run_batch_cli(clones, out, "--memory-mb=1234", "--base", "HEAD~0")
    assert proc.returncode == 0, proc.stderr
    argv = json.loads((out / "alice" / "results.json").read_text())["argv"]
    assert "--memory-mb=1234" in argv and argv[argv.index("--base") + 1] == "HEAD~0"
    plan = json.loads((out / "batch-plan.json").read_text())
    assert plan["grade_args"] == ["--memory-mb=1234", "--base", "HEAD~0"]

    for bad, words in (
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--memory-mb=lots"], "invalid int value"),
        (["--student=eve"], "--student is set by the batch"),
    ):
        refused = run_batch_cli(clones, tmp_path / "other", *bad)
        assert refused.returncode == 101, refused.stderr
        assert words in refused.stderr
        assert not (tmp_path / "other").exists()  # nothing graded, nothing made


def _lab_and_argv(out: Path, student: str) -> tuple[str, list[str]]:
    results = json.loads((out / student / "results.json").read_text())
    return results["lab"], results["argv"]


def test_batch_grades_lab_02_through_the_command(tmp_path):
    clones = tmp_path / "clones"
    for name in ("alice", "bob"):
        make_repo(clones / name, [("2026-01-01", name)])
    out = tmp_path / "grades-l02"

    proc = run_batch_cli(clones, out, "--lab", "l02_quantization")

    assert proc.returncode == 0, proc.stderr
    assert "2 to grade" in proc.stderr
    for name in ("alice", "bob"):
        lab, argv = _lab_and_argv(out, name)
        assert lab == "l02_quantization"
        assert argv[argv.index("--lab") + 1] == "l02_quantization"
    plan = json.loads((out / "batch-plan.json").read_text())
    assert plan["lab"] == "l02_quantization"
    rows = list(csv.DictReader((out / "gradebook.csv").open(encoding="utf-8")))
    assert sorted(r["student"] for r in rows) == ["alice", "bob"]
    # The same lab again resumes: both are done, nothing is refused.
    again = run_batch_cli(clones, out, "--lab", "l02_quantization")
    assert again.returncode == 0 and "0 to grade" in again.stderr, again.stderr


def test_a_batch_of_another_lab_into_the_same_folder_is_refused(tmp_path):
    clones = tmp_path / "clones"
    make_repo(clones / "alice", [("2026-01-01", "a")])
    out = tmp_path / "grades"
    assert run_batch_cli(clones, out, "--lab", "l02_quantization").returncode == 0
    gradebook = (out / "gradebook.csv").read_bytes()

    refused = run_batch_cli(clones, out)  # the default lab, 03

    assert refused.returncode == 101, refused.stderr
    message = refused.stderr
    assert str(out) in message and "l02_quantization" in message
    assert "l03_pruning_clustering" in message
    assert f"--out {out}-l03_pruning_clustering" in message
    assert "--lab l02_quantization" in message  # how to go on with that batch
    # Nothing was graded, skipped or rewritten.
    assert _lab_and_argv(out, "alice")[0] == "l02_quantization"
    assert (out / "gradebook.csv").read_bytes() == gradebook
    plan = json.loads((out / "batch-plan.json").read_text())
    assert plan["lab"] == "l02_quantization"

    # Without the plan, the students' results tell the folder's lab.
    (out / "batch-plan.json").unlink()
    again = run_batch_cli(clones, out)
    assert again.returncode == 101 and str(out) in again.stderr, again.stderr

    # A folder of its own grades lab 03.
    other = tmp_path / "grades-l03_pruning_clustering"
    proc = run_batch_cli(clones, other)
    assert proc.returncode == 0, proc.stderr
    assert _lab_and_argv(other, "alice")[0] == "l03_pruning_clustering"
