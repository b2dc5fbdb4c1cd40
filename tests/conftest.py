"""Project-wide test settings.

TensorFlow must see ``TF_USE_LEGACY_KERAS=1`` before its first import, and
its C++ logging is noise in test output.

**What a test needs from the machine.** A test that needs a Debian package
or root says so with ``@pytest.mark.needs("chromium")`` (names in
:data:`NEEDS`), or calls the ``unavailable(reason)`` fixture when it finds
out later (a daemon that did not start). Either way it is skipped with the
reason on a developer's machine, and it **fails** in CI (``CI=true``), so
that CI never goes green without running it. ``./run test`` installs the
packages (``apt-get`` as root) before the tests start.

**Corpus tests.** The slowest tests, which grade a whole corpus of
submissions, carry the ``corpus`` marker (``@pytest.mark.corpus``, or a
module listed in :data:`CORPUS_MODULES`). CI and ``./run test`` run them;
``./run test --quick`` leaves them out (``-m "not corpus"``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _program(*names: str) -> Callable[[], bool]:
    def found() -> bool:
        return all(
            shutil.which(name) or Path("/usr/sbin", name).exists() for name in names
        )

    return found


#: Name -> (is it there?, what to install or do when it is not).
NEEDS: dict[str, tuple[Callable[[], bool], str]] = {
    "root": (lambda: os.geteuid() == 0, "run the tests as root"),
    "chromium": (
        lambda: bool(shutil.which("chromium") or shutil.which("chromium-browser")),
        "Debian's chromium (apt-get install chromium)",
    ),
    "slurm": (
        _program("munged", "slurmctld", "slurmd", "sbatch", "sinfo", "squeue"),
        "Debian's slurm-wlm and munge (apt-get install slurm-wlm munge)",
    ),
    "bubblewrap": (
        _program("bwrap"),
        "Debian's bubblewrap (apt-get install bubblewrap)",
    ),
    "git-lfs": (_program("git-lfs"), "Debian's git-lfs (apt-get install git-lfs)"),
    "fashion-mnist": (
        lambda: Path("/usr/share/datasets/fashion-mnist").is_dir(),
        "Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)",
    ),
}

#: Test modules (paths under tests/) whose tests all carry the corpus marker.
CORPUS_MODULES = (
    "hostile/test_hostile.py",
    "hostile/test_deterministic.py",
    "hidden/test_grading_runs.py",
)
#: Test modules that share one session fixture too costly to build twice (the
#: hostile corpus's batch): pytest-xdist runs each group on one worker
#: (``--dist loadgroup``, as ``./run test`` passes; see
#: :func:`pytest_xdist_make_scheduler`).
SHARED_FIXTURE_GROUPS = {
    "hostile/test_hostile.py": "hostile-corpus",
    "hostile/test_deterministic.py": "hostile-corpus",
    # The mean-error test reads every grading of the module's process.
    "fidelity/test_corpus.py": "fidelity-l03",
}


def in_ci() -> bool:
    """Return True when the tests run in CI (``CI=true``, as GitHub sets it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(reason: str) -> NoReturn:
    """Skip the running test because the machine lacks something; fail in CI.

    Parameters
    ----------
    reason : str
        What is missing and how to get it.
    """
    if in_ci():
        pytest.fail(f"CI=true and this test cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def missing(name: str) -> str | None:
    """Return what to install for the :data:`NEEDS` entry ``name``, or None."""
    check, what = NEEDS[name]
    return None if check() else what


@pytest.fixture(name="unavailable", scope="session")
def unavailable_fixture() -> Callable[[str], NoReturn]:
    """The :func:`unavailable` rule, for tests and fixtures that find out late."""
    return unavailable


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "needs(*names): the test needs these (root, chromium, slurm, bubblewrap, "
        "git-lfs, fashion-mnist); skipped without them, failed in CI",
    )
    config.addinivalue_line(
        "markers",
        "corpus: grades a whole corpus (slowest); ./run test --quick leaves it out",
    )


def shared_fixture_group(nodeid: str) -> str | None:
    """The :data:`SHARED_FIXTURE_GROUPS` group of a test's node id, or None."""
    path = "/" + nodeid.split("::", 1)[0]
    for rel, group in SHARED_FIXTURE_GROUPS.items():
        if path.endswith("/" + rel):
            return group
    return None


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Under ``--dist loadgroup``, schedule each shared-fixture group as one unit.

    pytest-xdist 3.8 groups by the ``xdist_group`` mark through a suffix it
    writes into the node id, which pytest 9 no longer reads back: every
    worker then built the hostile corpus itself. This scheduler groups by
    :data:`SHARED_FIXTURE_GROUPS` from the node id instead (and still by a
    suffix, should xdist write one).
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class SharedFixtureScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return shared_fixture_group(nodeid) or super()._split_scope(nodeid)

    return SharedFixtureScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    tests = Path(__file__).resolve().parent
    for item in items:
        try:
            rel = Path(str(item.fspath)).resolve().relative_to(tests).as_posix()
        except ValueError:
            continue
        if rel in CORPUS_MODULES:
            item.add_marker(pytest.mark.corpus)
        if rel in SHARED_FIXTURE_GROUPS:
            item.add_marker(pytest.mark.xdist_group(SHARED_FIXTURE_GROUPS[rel]))


def pytest_runtest_setup(item):
    for marker in item.iter_markers(name="needs"):
        for name in marker.args:
            if name not in NEEDS:
                pytest.fail(f"unknown need {name!r}; known: {', '.join(NEEDS)}")
            what = missing(name)
            if what:
                unavailable(f"needs {name}: {what}")
