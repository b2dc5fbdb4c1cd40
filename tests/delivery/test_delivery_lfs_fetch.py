"""The batch's working copy fetches LFS objects where git lfs allows.

The checkout itself never runs LFS's filter (the files stay pointers, the
same with or without ``git lfs``); the objects are fetched into the clone's
``.git/lfs`` so that the summary check verifies them against the pointers.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from grading.private.cohort import clone
from grading.private.cohort.roster import Submission
from grading.summary import lfs

pytestmark = pytest.mark.needs("git-lfs")

FOLDER = "summaries/l03_pruning_clustering"
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Student",
    "GIT_AUTHOR_EMAIL": "student@example.org",
    "GIT_COMMITTER_NAME": "Student",
    "GIT_COMMITTER_EMAIL": "student@example.org",
}


def _objects(dest: Path) -> list[Path]:
    """The LFS object files in the clone (git lfs may leave empty folders)."""
    return [p for p in (dest / ".git" / "lfs").rglob("*") if p.is_file()]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True)


def _student_repo(root: Path, lfsconfig: bool = False) -> Path:
    repo = root / "student"
    (repo / FOLDER).mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "lfs", "install", "--local")
    _git(repo, "lfs", "track", f"{FOLDER}/*.onnx")
    (repo / FOLDER / "pruned.onnx").write_bytes(os.urandom(4096))
    if lfsconfig:
        (repo / ".lfsconfig").write_text("[lfs]\n\turl = http://127.0.0.1:9/\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "summaries: Add the pruned model")
    return repo


def test_the_objects_are_fetched_and_checked(tmp_path):
    repo = _student_repo(tmp_path)
    dest = tmp_path / "work"
    clone.prepare_working_copy(Submission("alice", str(repo), ""), dest)
    model = dest / FOLDER / "pruned.onnx"
    assert lfs.parse_pointer(model.read_bytes()) is not None  # never smudged
    assert len([p for p in _objects(dest) if "objects" in p.parts]) == 1
    judged = lfs.judge(dest, FOLDER, [".onnx"])
    assert judged.score == 1.0 and judged.object == "checked", judged


def test_a_repository_lfsconfig_is_not_followed(tmp_path):
    repo = _student_repo(tmp_path, lfsconfig=True)
    dest = tmp_path / "work"
    clone.prepare_working_copy(Submission("bob", str(repo), ""), dest)
    assert not [p for p in _objects(dest) if "objects" in p.parts]
    assert clone.fetch_lfs_objects(dest).startswith("not fetched: the repository")
    judged = lfs.judge(dest, FOLDER, [".onnx"])
    assert judged.score == 1.0 and judged.object == "absent", judged


def test_objects_over_the_limit_are_not_fetched(tmp_path, monkeypatch):
    repo = _student_repo(tmp_path)
    monkeypatch.setattr(clone, "LFS_FETCH_LIMIT", 1000)
    dest = tmp_path / "work"
    clone.prepare_working_copy(Submission("carol", str(repo), ""), dest)
    assert not [p for p in _objects(dest) if "objects" in p.parts]
    assert "over the limit of 1000 bytes" in clone.fetch_lfs_objects(dest)


def test_a_repository_without_lfs_files_says_so(tmp_path):
    repo = tmp_path / "plain"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "work.txt").write_text("hello\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Add work")
    dest = tmp_path / "work"
    clone.prepare_working_copy(Submission("dan", str(repo), ""), dest)
    assert clone.fetch_lfs_objects(dest) == "no LFS files"
