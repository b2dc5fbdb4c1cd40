"""The suite's own scheduling rule: a shared-fixture group runs on one worker.

``tests/conftest.py`` schedules the modules of each
``SHARED_FIXTURE_GROUPS`` group as one unit under ``--dist loadgroup``, so
the hostile corpus is graded once per run. This runs a small suite with the
installed pytest and pytest-xdist, that hook and the same module paths, and
checks on which worker each test ran.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT_CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"

RECORDING_TEST = """
import json, os, time
from pathlib import Path

import pytest


@pytest.mark.parametrize("n", range(4))
def test_records_its_worker(n):
    time.sleep(0.3)
    out = Path(os.environ["RECORD_DIR"]) / f"{{__name__}}-{{n}}.json"
    out.write_text(json.dumps(os.environ.get("PYTEST_XDIST_WORKER")))
"""


def test_a_shared_fixture_group_runs_on_one_worker(tmp_path):
    tests = tmp_path / "tests"
    for rel in (
        "hostile/test_hostile.py",
        "hostile/test_deterministic.py",
        "other/test_one.py",
        "other/test_two.py",
        "other/test_three.py",
    ):
        (tests / rel).parent.mkdir(parents=True, exist_ok=True)
        (tests / rel).write_text(RECORDING_TEST.format(), encoding="utf-8")
    (tests / "conftest.py").write_text(
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('suite_rules', "
        f"{str(ROOT_CONFTEST)!r})\n"
        "rules = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(rules)\n"
        "pytest_xdist_make_scheduler = rules.pytest_xdist_make_scheduler\n",
        encoding="utf-8",
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    record = tmp_path / "record"
    record.mkdir()
    env = {**os.environ, "RECORD_DIR": str(record)}
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "tests",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    workers = {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in record.glob("*.json")
    }
    assert len(workers) == 20, sorted(workers)
    grouped = {w for name, w in workers.items() if name.startswith("test_hostile")}
    grouped |= {w for name, w in workers.items() if name.startswith("test_determ")}
    assert len(grouped) == 1, workers
    # The other tests are spread as usual: both workers took some.
    assert set(workers.values()) == {"gw0", "gw1"}, workers
