"""The one git runner: safe options, extra settings, exit codes, raw output."""

from __future__ import annotations

import subprocess

import pytest

from grading.private.packaging.files import ignored_by_git
from grading.util.git import GitError, run_git, run_git_bytes


@pytest.fixture
def repo(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("*.log\n")
    return tmp_path


def test_config_is_passed_after_the_safe_options(repo):
    assert (
        run_git(["config", "core.quotepath"], repo, config={"core.quotepath": "off"})
        == "off"
    )
    assert run_git(["config", "core.hooksPath"], repo) == "/dev/null"


def test_a_failure_carries_gits_error_output(repo):
    with pytest.raises(GitError) as caught:
        run_git(["rev-parse", "--verify", "no-such-ref"], repo)
    assert caught.value.stderr
    assert "failed in" in str(caught.value)


def test_ok_codes_accept_a_non_zero_exit(repo):
    with pytest.raises(GitError):
        run_git(["check-ignore", "--no-index", "a.txt"], repo)
    assert run_git(["check-ignore", "--no-index", "a.txt"], repo, ok_codes=(0, 1)) == ""


def test_raw_output_is_neither_decoded_nor_stripped(repo):
    blob = run_git(["hash-object", "-w", "--stdin"], repo, input="x\n")
    out = run_git_bytes(["cat-file", "--batch"], repo, input=f"{blob}\n".encode())
    assert out == f"{blob} blob 2\n".encode() + b"x\n\n"


def test_ignored_by_git_names_only_the_ignored(repo):
    assert ignored_by_git(repo, ["a.log", "b.txt", "c/d.log"]) == {"a.log", "c/d.log"}
    assert ignored_by_git(repo, ["b.txt"]) == set()
    assert ignored_by_git(repo / "missing", ["a.log"]) == set()
