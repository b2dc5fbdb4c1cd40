"""Reading submissions: the graded commit, plain folders, hostile repositories."""

from __future__ import annotations

import os
import shutil

from grading.pipeline.rubric import load_rubric
from grading.private.similarity import detect
from grading.private.similarity.fingerprint import fingerprint
from grading.private.similarity.settings import from_rubric
from grading.private.similarity.sources import Snapshot, SubmissionSource, discover
from grading.util.io import write_json

from . import class_builder as cb
from . import code_builder

RUBRIC = load_rubric("l03_pruning_clustering")
SETTINGS = from_rubric(RUBRIC)
MODULE = code_builder.MODULE_PATH


def _student(name: str, code: str | None = None, seed: int = 3) -> cb.Student:
    run = cb.pet_run(seed)
    return cb.Student(
        name,
        code,
        run,
        cb.answers()["ada"],
        images={"pruned-0.5-fp32": cb.draw_matrix(run.counts["pruned-0.5-fp32"], name)},
    )


def test_a_grades_folder_reads_the_graded_commit_not_a_later_one(tmp_path):
    clone = cb.write_submission(
        tmp_path / "clones" / "ada", _student("ada", code_builder.student_module("ada"))
    )
    graded = cb.git(clone, "rev-parse", "HEAD").strip()
    (clone / MODULE).write_text("# rewritten after the deadline\n")
    cb.git(clone, "commit", "-qam", "l03_pruning_clustering: Rewrite after deadline")
    grades = tmp_path / "grades"
    write_json(
        grades / "ada" / "submission.json",
        {"student": "ada", "source": str(clone), "commit": graded},
    )
    write_json(
        grades / "bob" / "submission.json",
        {"student": "bob", "source": "https://example.org/bob.git", "commit": ""},
    )
    sources, is_grades = discover(grades)
    assert is_grades
    by_name = {s.student: s for s in sources}
    assert by_name["ada"].commit == graded
    assert by_name["bob"].path == "" and "URL" in by_name["bob"].note
    printed = fingerprint(by_name["ada"], RUBRIC, SETTINGS, frozenset())
    text = printed.code.files[0].source
    assert "tf.lite.Interpreter" in text and "rewritten" not in text
    assert printed.summary.values and printed.images
    # the clone was only read
    assert cb.git(clone, "status", "--porcelain") == ""


def test_plain_folders_and_a_folder_of_clones(tmp_path):
    folder = tmp_path / "clones" / "plain"
    cb.write_submission(folder, _student("plain", code_builder.student_module("bo")))
    shutil.rmtree(folder / ".git")
    sources, is_grades = discover(tmp_path / "clones")
    assert not is_grades and sources[0].commit == ""
    printed = fingerprint(sources[0], RUBRIC, SETTINGS, frozenset())
    assert printed.code.where and printed.summary.values and not printed.problems


def test_hostile_submissions_are_reported_not_fatal(tmp_path):
    root = tmp_path / "clones"
    odd = cb.write_submission(root / "odd", _student("odd", "def broken(:\n\0\0"))
    (odd / cb.SUMMARY_DIR / "summary.md").write_bytes(b"\xff\xfe" + os.urandom(4000))
    (odd / cb.SUMMARY_DIR / "img" / "fake.png").write_bytes(b"\x89PNG\r\n\x1a\nxx")
    (odd / "models").mkdir()
    (odd / "models" / "big.tflite").write_bytes(b"\0" * 10)  # too small to count
    os.symlink("/etc/passwd", odd / cb.SUMMARY_DIR / "img" / "link.png")
    big = "x = 1\n" * 100_000
    (odd / "dl_in_iot_course" / "l03_pruning_clustering" / "huge.py").write_text(big)
    cb.git(odd, "add", "-A")
    cb.git(odd, "commit", "-qm", "l03_pruning_clustering: Add odd files")
    empty = root / "empty"
    empty.mkdir()
    cb.git(empty, "init", "-q")
    (root / "notes.txt").write_text("not a submission")
    result = detect(root, lab="l03_pruning_clustering")
    students = {s["student"]: s for s in result["students"]}
    assert set(students) == {"odd", "empty"}
    assert any("larger than" in p for p in students["odd"]["problems"])
    # the real confusion matrix only: not the fake PNG, not the symbolic link
    assert students["odd"]["images"] == 1 and students["odd"]["artifacts"] == 0
    assert any("no commit" in p for p in students["empty"]["problems"])
    assert result["pairs"] == []


def test_snapshot_never_lists_symlinks_or_git_internals(tmp_path):
    folder = tmp_path / "s"
    (folder / ".git").mkdir(parents=True)
    (folder / ".git" / "config").write_text("x")
    (folder / "a.txt").write_text("a")
    os.symlink("/etc/hostname", folder / "b.txt")
    snap = Snapshot(SubmissionSource("s", str(folder)))
    assert list(snap.entries) == ["a.txt"]


def test_a_huge_summary_folder_is_written_out_only_in_part(tmp_path, monkeypatch):
    from grading.private.similarity import sources

    clone = cb.write_submission(tmp_path / "big", _student("big"))
    junk = clone / cb.SUMMARY_DIR / "junk"
    junk.mkdir()
    for i in range(30):
        (junk / f"{i:02d}.bin").write_bytes(os.urandom(50_000))
    cb.git(clone, "add", "-A")
    cb.git(clone, "commit", "-qm", "l03_pruning_clustering: Add junk")
    monkeypatch.setattr(sources, "MAX_MATERIALIZED", 200_000)
    snap = Snapshot(
        SubmissionSource("big", str(clone), cb.git(clone, "rev-parse", "HEAD").strip())
    )
    folder = snap.materialize(("summaries/**",), 16_000_000)
    try:
        written = [p for p in folder.rglob("*") if p.is_file()]
        assert sum(p.stat().st_size for p in written) <= 200_000
        assert (folder / cb.SUMMARY_DIR / "summary.md").is_file()  # smallest first
    finally:
        snap.release(folder)
    assert not folder.exists()
