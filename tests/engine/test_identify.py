"""Which template version a submission started from (grading/versions/identify.py).

Forks and template copies are made from the mirror of the original course
(``COURSE_MIRROR`` or ``/work/.mirror/antmicro+dl-in-iot-course/repo``): a
local clone checked out at a version commit, plus a commit of the student.
Without the mirror those tests are skipped, saying so.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from test_versions import LAB, MIRROR, MODULE, ROOT, needs_mirror, version_by_id

from grading.util.git import run_git
from grading.versions.identify import RECORD_PATH, identify


def clone_at(dest: Path, commit: str) -> Path:
    subprocess.run(["git", "clone", "-q", str(MIRROR), str(dest)], check=True)
    run_git(["checkout", "-q", commit], cwd=dest)
    return dest


def files_only(dest: Path, commit: str) -> Path:
    """The files of ``commit`` with no git history (a zip download)."""
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(MIRROR), "archive", commit], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def test_our_template_by_its_record_and_by_its_files(tmp_path):
    copy = tmp_path / "files"
    shutil.copytree(ROOT / "dl_in_iot_course", copy / "dl_in_iot_course")
    found = identify(copy, LAB, MODULE)
    assert (found.version, found.method, found.candidates) == (
        "ours",
        "files",
        ("ours",),
    )
    assert set(found.asks) == {
        "trainable",
        "strip_clustering",
        "strip_pruning",
        "structured_pruning",
    }
    (copy / RECORD_PATH).parent.mkdir()
    (copy / RECORD_PATH).write_text("{}", encoding="utf-8")
    assert identify(copy, LAB, MODULE).method == "record"


def test_nothing_matching_gives_every_version_and_asks_nothing(tmp_path):
    found = identify(tmp_path, LAB, MODULE)
    assert found.method == "unknown" and not found.certain
    assert found.asks == ()
    assert "cannot be told apart" in found.finding().message


@needs_mirror
@pytest.mark.parametrize(
    "commit, expected",
    [
        ("78dc305", "antmicro-2021-11"),
        ("7322178", "antmicro-2022-11"),
        ("b6d430e", "antmicro-2024-03"),
        ("0aa9cc3", "antmicro-2024-03"),
        ("607d40e", "antmicro-2025-03"),
        ("9ed40d9", "antmicro-2025-04"),
    ],
)
def test_a_fork_is_identified_from_its_history(tmp_path, commit, expected):
    fork = clone_at(tmp_path / "fork", commit)
    (fork / "notes.txt").write_text("mine\n", encoding="utf-8")
    run_git(["add", "notes.txt"], cwd=fork)
    run_git(
        ["-c", "user.name=S", "-c", "user.email=s@example.org", "commit", "-qm", "x"],
        cwd=fork,
    )
    found = identify(fork, LAB, MODULE)
    assert (found.version, found.method) == (expected, "history")
    assert found.asks == version_by_id(expected).asks(LAB)
    assert expected.split("antmicro-")[1][:4] in found.finding().message


@needs_mirror
def test_a_template_copy_is_identified_from_its_first_tree(tmp_path):
    """GitHub's "use this template": a new root commit with the same tree."""
    copy = clone_at(tmp_path / "copy", "607d40e")
    tree = run_git(["rev-parse", "HEAD^{tree}"], cwd=copy)
    env = {"GIT_AUTHOR_NAME": "S", "GIT_AUTHOR_EMAIL": "s@e.org"}
    env |= {"GIT_COMMITTER_NAME": "S", "GIT_COMMITTER_EMAIL": "s@e.org"}
    root = run_git(["commit-tree", tree, "-m", "Initial commit"], cwd=copy, env=env)
    run_git(["reset", "-q", "--hard", root], cwd=copy)
    assert run_git(["rev-list", "HEAD"], cwd=copy) == root
    found = identify(copy, LAB, MODULE)
    assert (found.version, found.method) == ("antmicro-2025-03", "tree")


@needs_mirror
def test_files_alone_tell_a_version_by_its_readme(tmp_path):
    found = identify(files_only(tmp_path / "a", "78dc305"), LAB, MODULE)
    assert (found.version, found.method, found.certain) == (
        "antmicro-2021-11",
        "files",
        True,
    )
    assert found.asks == ("theory_quantization",)


@needs_mirror
def test_without_readme_the_module_group_is_ambiguous_and_lenient(tmp_path):
    copy = files_only(tmp_path / "b", "9ed40d9")
    (copy / "dl_in_iot_course/l03_pruning_clustering/README.md").unlink()
    found = identify(copy, LAB, MODULE)
    assert found.method == "files" and not found.certain
    assert set(found.candidates) == {
        "antmicro-2025-03-tasks",
        "antmicro-2025-03",
        "antmicro-2025-04",
    }
    assert "strip_clustering" not in found.asks
    message = found.finding(["strip_clustering"]).message
    assert "cannot be told apart" in message and "not graded" in message


def test_the_template_verb_prints_the_version_and_what_it_asks(tmp_path, capsys):
    from grading.cli import main

    copy = tmp_path / "files"
    shutil.copytree(ROOT / "dl_in_iot_course", copy / "dl_in_iot_course")
    assert main(["template", str(copy), "--lab", LAB]) == 0
    out = capsys.readouterr().out
    assert "version:    ours" in out and "strip the pruning wrappers" in out
    assert main(["template", str(tmp_path / "empty"), "--lab", LAB]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["template", str(tmp_path / "empty"), "--lab", LAB, "--json"]) == 1
    assert '"method": "unknown"' in capsys.readouterr().out
