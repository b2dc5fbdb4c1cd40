"""The fresh-clone retry reads the child's files without following its links.

``manifest.json`` and the results file are written by the student's run, so
the grader, which may run as root and without memory limits, must neither
read through a link the child made (to a secret, to a huge file), nor block
on a FIFO, nor write the first run's files back through a link.
"""

from __future__ import annotations

import json
import os
import signal

import pytest

from grading.hidden.fresh_clone import retry

ERROR = "FileNotFoundError: [Errno 2] No such file or directory: 'logs/a.log'"
FIRST = {"results": {"t": {"outcome": "failed", "message": ERROR}}}
BIG = 5 * 1024 * 1024  # over the 4 MiB a results file may have


@pytest.fixture
def folders(tmp_path):
    workcopy, artifacts = tmp_path / "work", tmp_path / "artifacts"
    workcopy.mkdir()
    artifacts.mkdir()
    return workcopy, artifacts, artifacts / "hidden-results.json"


@pytest.fixture(autouse=True)
def _deadline():
    def stop(*_):
        raise TimeoutError("the retry blocked")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _failing_rerun():
    raise OSError("the sandbox could not start")


def test_links_to_a_secret_and_to_a_big_file_are_not_read(folders, tmp_path):
    workcopy, artifacts, results = folders
    secret = tmp_path / "secret.txt"
    secret.write_text("the grader's secret")
    big = tmp_path / "big.bin"
    with open(big, "wb") as handle:
        handle.truncate(BIG)  # sparse: cheap to make
    (artifacts / "manifest.json").symlink_to(secret)
    results.symlink_to(big)
    out = retry("", workcopy, artifacts, results, ("1st", FIRST), _failing_rerun)
    assert out[0] == "1st" and out[2] == []
    # Nothing read through the links was written back in their place.
    for path in (artifacts / "manifest.json", results):
        assert not path.exists() and not path.is_symlink(), path
    assert secret.read_text() == "the grader's secret"
    assert big.stat().st_size == BIG


def test_a_fifo_does_not_block_and_regular_files_are_put_back(folders):
    workcopy, artifacts, results = folders
    os.mkfifo(results)
    manifest = artifacts / "manifest.json"
    manifest.write_text(json.dumps({"import_error": {"message": ERROR}}))
    out = retry("", workcopy, artifacts, results, ("1st", FIRST), _failing_rerun)
    assert out[0] == "1st" and not results.exists()
    assert json.loads(manifest.read_text())["import_error"]["message"] == ERROR


def test_the_first_runs_files_are_not_written_through_a_new_link(folders, tmp_path):
    workcopy, artifacts, results = folders
    target = tmp_path / "grader-file.txt"
    target.write_text("unchanged")
    results.write_text(json.dumps(FIRST))

    def rerun_that_plants_a_link():
        results.symlink_to(target)
        raise OSError("stopped")

    retry("", workcopy, artifacts, results, ("1st", FIRST), rerun_that_plants_a_link)
    assert target.read_text() == "unchanged"
    assert not results.is_symlink() and json.loads(results.read_text()) == FIRST
