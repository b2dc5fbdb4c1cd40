"""The same submission gets the same points wherever it is graded.

The reference submission is graded alone (the corpus fixture's batch of the
normal submissions, one job at a time), in a ``--jobs 2`` batch beside a
second copy of itself while CPU hogs run (one busy process per CPU, at the
batch's own priority), and beside the hostile corpus (the corpus fixture's
``--jobs 2`` batch). Every item must get the points it got alone, unless a
time limit stopped its checks: then it is not a score (item status
``timeout``, or the whole grading recorded as ``timeout`` by the batch, which
the gradebook does not total), never a lower one.

The ``--jobs 2`` batch and the hogs share one batch: both take cores from
the reference, and one batch instead of two keeps the suite's slowest
worker under its budget. All gradings use the corpus's copy of the grader,
so they share its rubric (and its short sandbox limit, see
:data:`hostile_harness.TIMEOUT`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_harness import (
    BATCH_TIMEOUT,
    LAB,
    MEMORY_MB,
    Corpus,
    build_submission,
)

pytestmark = pytest.mark.slow

REFERENCE = "normal_reference"
#: Busy processes per CPU beside the "hogs" grading (at most 8 in all).
HOGS_PER_CPU = 1


def _batch(corpus: Corpus, subs: Path, out: Path, jobs: int, log: Path) -> int:
    """Grade ``subs`` with the corpus's grader copy; return the exit status."""
    env = {
        **os.environ,
        "TF_USE_LEGACY_KERAS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONPATH": str(corpus.grader),
        "TMPDIR": str(corpus.root / "tmp"),
    }
    env.pop("PYTEST_ADDOPTS", None)
    command = [
        sys.executable,
        "-m",
        "grading",
        "batch",
        str(subs),
        "--out",
        str(out),
        "--jobs",
        str(jobs),
        "--lab",
        LAB,
        "--timeout",
        str(BATCH_TIMEOUT),
        "--no-progress",
        f"--memory-mb={MEMORY_MB}",
    ]
    proc = subprocess.run(
        command,
        cwd=corpus.grader,
        env=env,
        capture_output=True,
        text=True,
        timeout=4 * BATCH_TIMEOUT,
    )
    log.write_text(f"$ {' '.join(command)}\n{proc.stdout}\n{proc.stderr}", "utf-8")
    return proc.returncode


def _hogs(count: int) -> list[subprocess.Popen]:
    return [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(count)
    ]


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.kill()
    for proc in procs:
        proc.wait(timeout=10)


def _load(out: Path, sub_id: str) -> dict:
    folder = out / sub_id
    data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    status = folder / "status.json"
    data["_batch_status"] = (
        json.loads(status.read_text(encoding="utf-8"))["status"]
        if status.is_file()
        else "graded"
    )
    return data


@pytest.fixture(scope="module")
def gradings(corpus: Corpus) -> dict[str, dict]:
    """The reference graded alone, in a --jobs 2 batch beside CPU hogs, and
    beside the hostile corpus."""
    root = corpus.root / "determinism"
    found: dict[str, dict] = {
        "alone": _load(corpus.alone_out, REFERENCE),
        "hostile corpus": _load(corpus.out, REFERENCE),
    }
    name, key = "--jobs 2 beside CPU hogs", "jobs-2-hogs"
    subs = root / key / "subs"
    for sub_id in (REFERENCE, "reference_twin"):
        build_submission(corpus.grader, subs / sub_id, "reference", None, {})
    hogs = _hogs(min(8, HOGS_PER_CPU * (os.cpu_count() or 1)))
    start = time.monotonic()
    try:
        code = _batch(corpus, subs, root / key / "out", 2, root / f"{key}.log")
    finally:
        _stop(hogs)
    print(f"\n{name}: exit {code} in {time.monotonic() - start:.0f} s")
    found[name] = _load(root / key / "out", REFERENCE)
    found[f"{name} (twin)"] = _load(root / key / "out", "reference_twin")
    for name, data in found.items():  # what was seen, for the record (-s)
        print(
            f"{name}: {data['status']}, batch {data['_batch_status']}, "
            f"score {data['score']}"
        )
    yield found
    if not os.environ.get("HOSTILE_KEEP"):
        shutil.rmtree(root, ignore_errors=True)


def _items(data: dict) -> dict[str, dict]:
    return {item["id"]: item for item in data["items"]}


def test_reference_gets_the_same_points_everywhere(gradings):
    alone = gradings["alone"]
    assert alone["_batch_status"] == "graded", (
        "the reference timed out even alone, with the regrade's doubled limits"
    )
    want = _items(alone)
    differences = []
    for name, data in gradings.items():
        not_a_score = data["_batch_status"] == "timeout"
        if data["status"] == "timeout":
            # A time limit stopped checks: the batch must not have scored it.
            assert not_a_score, f"{name}: a timed-out grading was scored"
        for item_id, item in _items(data).items():
            if item["status"] == "timeout" or not_a_score:
                continue
            expected = want[item_id]
            if (item["points"], item["status"]) != (
                expected["points"],
                expected["status"],
            ):
                differences.append(
                    f"{name}: {item_id} {item['points']} ({item['status']}) "
                    f"instead of {expected['points']} ({expected['status']})"
                )
    assert not differences, "\n".join(differences)
