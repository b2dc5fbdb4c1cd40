"""pytest plugin of the hidden tests: records one outcome per test as JSON.

Loaded with ``-p grader_plugin`` in the sandboxed pytest run (never as a
``conftest.py``: the sandbox ignores those). Every hidden test carries the
marker ``@pytest.mark.rubric(item, check)``; this plugin writes, after each
test, the results file of the grader's contract (``grader_contract.py``)::

    {"schema": 1, "finished": false, "running": "<nodeid or null>",
     "collected": [{"nodeid", "item", "check"}],
     "results": {"<nodeid>": {"item", "check", "outcome", "message",
                              "exception", "evidence", "seconds",
                              "cpu_seconds"}}}

A test that reaches the contract's CPU-time limit (``test_cpu_seconds``,
fixtures included) gets the outcome ``timeout``: it could not be checked,
which is not a failure. The limit counts CPU time, so a busy machine does not
reach it sooner; pytest-timeout's wall limit stays the outer guard.

The file is written by the student's process, so the grader trusts it only
as far as its own checks of the models confirm it (see
``grading/hidden/proof.py``).

The file is rewritten atomically after every test, so a crash, a hang or an
``os._exit`` in student code keeps the outcomes of the tests that finished and
names the test that was running. Messages never contain test source: a test
fails with ``raise Expected(...)`` or ``assert cond, "expected ..., seen ..."``
(run with ``--assert=plain``); an exception from student code is reported by
type, message and the student's own frames.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

import pytest
from grader_contract import Contract

MAX_MESSAGE = 1500
MAX_EVIDENCE = 3000
CONTRACT = Contract.from_env()
# Before the student's module (or anything else) imports TensorFlow: size its
# thread pools to this child's share of the cores.
if CONTRACT is not None:
    os.environ.update(CONTRACT.thread_env())


class TimeLimit(BaseException):  # noqa: N818 - reads well where it is raised
    """Raised in a test that reached its CPU-time limit.

    A BaseException, so that ``except Exception`` in student code does not
    swallow it; the recorder marks the test ``timeout`` however it ends.
    """


class Expected(AssertionError):  # noqa: N818 - reads well in tests
    """Failure of a hidden test: ``Expected("...", seen="...")``.

    Parameters
    ----------
    expected : str
        What the task asks for.
    seen : str
        What the student's code did.
    code : str
        Stable reason for hints and statistics (``"unstripped"``).
    evidence : str
        The student's own traceback lines, if the failure is an exception.
    """

    def __init__(
        self, expected: str, seen: str = "", code: str = "", evidence: str = ""
    ) -> None:
        self.expected = expected
        self.seen = seen
        self.code = code
        self.evidence = evidence
        text = f"Expected {expected}"
        if seen:
            text += f"; seen {seen}"
        super().__init__(text)


def _hidden_roots() -> list[str]:
    """Directories of hidden test code, whose frames stay out of evidence."""
    here = str(Path(__file__).resolve().parent)
    extra = CONTRACT.tests_dir if CONTRACT else ""
    return [p for p in (here, extra) if p]


def _student_frames(excinfo) -> str:
    """Format the traceback frames that are not hidden-test or library code."""
    roots = _hidden_roots()
    student_root = CONTRACT.workcopy if CONTRACT else ""
    lines = []
    for entry in traceback.extract_tb(excinfo.tb):
        if not entry.filename or entry.filename.startswith("<"):
            continue
        filename = str(Path(entry.filename).resolve())
        if any(filename.startswith(r) for r in roots):
            continue
        if student_root and not filename.startswith(student_root):
            continue
        shown = filename[len(student_root) :].lstrip("/") if student_root else filename
        lines.append(f'  File "{shown}", line {entry.lineno}, in {entry.name}')
        if entry.line:
            lines.append(f"    {entry.line}")
    return "\n".join(lines[-20:])


def short_error(text: str) -> str:
    """Shorten TensorFlow's graph errors to the node and the final reason."""
    if "Detected at node" not in text:
        return text
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    node = next((line for line in lines if line.startswith("Detected at node")), "")
    node = node.split(" defined at ")[0]
    last = lines[-1] if lines else ""
    head = lines[0] if lines else ""
    return " ".join(dict.fromkeys(p for p in (head, node, last) if p))


def describe_exception(excinfo) -> dict:
    """Turn an exception into ``{message, exception, evidence, code}``."""
    exc = excinfo.value
    name = type(exc).__name__
    if isinstance(exc, TimeLimit):
        return {
            "message": str(exc),
            "exception": name,
            "evidence": "",
            "code": "timeout",
        }
    if isinstance(exc, Expected):
        return {
            "message": str(exc)[:MAX_MESSAGE],
            "exception": name,
            "evidence": exc.evidence[:MAX_EVIDENCE],
            "code": exc.code,
        }
    if isinstance(exc, AssertionError):
        text = str(exc).split("\nassert ")[0].strip() or "an assertion failed"
        return {"message": text, "exception": name, "evidence": "", "code": ""}
    if isinstance(exc, pytest.fail.Exception | pytest.skip.Exception):
        return {"message": str(exc), "exception": name, "evidence": "", "code": ""}
    text = short_error(str(exc).strip())
    message = f"{name}: {text}" if text else name
    if isinstance(exc, SystemExit):
        message = f"the code called sys.exit({exc.code!r}) during the test"
    return {
        "message": message[:MAX_MESSAGE],
        "exception": name,
        "evidence": _student_frames(excinfo)[:MAX_EVIDENCE],
        "code": "",
    }


class Recorder:
    """Collects outcomes and rewrites the JSON file after every test."""

    def __init__(self, path: Path, cpu_limit: float = 0.0) -> None:
        self.path = path
        self.cpu_limit = float(cpu_limit or 0.0)
        self.data = {
            "schema": 1,
            "finished": False,
            "running": None,
            "collected": [],
            "results": {},
            "started": time.time(),
        }
        self._starts: dict[str, float] = {}
        self._cpu_starts: dict[str, float] = {}
        self._timed_out: set[str] = set()
        self._current = ""

    def write(self) -> None:
        """Write the file atomically (a kill never leaves half a file)."""
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)

    @staticmethod
    def marker_of(item) -> tuple[str, str]:
        """Return ``(rubric item, check)`` of a test, or ``("", name)``."""
        mark = item.get_closest_marker("rubric")
        if mark is None or len(mark.args) < 2:
            return "", item.name
        return str(mark.args[0]), str(mark.args[1])

    # pytest hooks -----------------------------------------------------------

    def pytest_collection_modifyitems(self, session, config, items) -> None:
        for item in items:
            rubric_item, check = self.marker_of(item)
            doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
            doc = doc.strip().splitlines()[0].rstrip(".") if doc.strip() else ""
            self.data["collected"].append(
                {"nodeid": item.nodeid, "item": rubric_item, "check": check, "doc": doc}
            )
        self.write()

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.data.setdefault("collect_errors", []).append(
                {
                    "nodeid": report.nodeid,
                    "message": str(report.longrepr)[-MAX_EVIDENCE:],
                }
            )
            self.write()

    def pytest_runtest_logstart(self, nodeid, location) -> None:
        self.data["running"] = nodeid
        self._starts[nodeid] = time.time()
        self._cpu_starts[nodeid] = time.process_time()
        self.write()

    def _on_cpu_limit(self, signum, frame) -> None:
        self._timed_out.add(self._current)
        raise TimeLimit(
            f"could not check: time limit (the test used its {self.cpu_limit:g} s "
            "of CPU time)"
        )

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        """Arm the CPU-time limit for the test, its fixtures included."""
        self._current = item.nodeid
        if self.cpu_limit > 0:
            signal.signal(signal.SIGPROF, self._on_cpu_limit)
            # Again every 2 s of CPU, in case the student's code caught it.
            signal.setitimer(signal.ITIMER_PROF, self.cpu_limit, 2.0)
        try:
            yield
        finally:
            if self.cpu_limit > 0:
                signal.setitimer(signal.ITIMER_PROF, 0)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if call.excinfo is not None and report.outcome != "passed":
            report.grader_info = describe_exception(call.excinfo)

    def pytest_runtest_logreport(self, report) -> None:
        results = self.data["results"]
        entry = results.get(report.nodeid)
        if entry is None:
            rubric_item, check = "", report.nodeid
            for c in self.data["collected"]:
                if c["nodeid"] == report.nodeid:
                    rubric_item, check = c["item"], c["check"]
            entry = {
                "item": rubric_item,
                "check": check,
                "outcome": "passed",
                "message": "",
                "exception": "",
                "evidence": "",
                "code": "",
                "seconds": 0.0,
            }
            results[report.nodeid] = entry
        if report.outcome in ("failed", "skipped") and entry["outcome"] == "passed":
            entry["outcome"] = report.outcome
            if report.when != "call" and report.outcome == "failed":
                entry["outcome"] = "error"
            info = getattr(report, "grader_info", None)
            if info is None:
                info = {
                    "message": f"the test failed during {report.when}",
                    "exception": "",
                    "evidence": "",
                    "code": "",
                }
                if report.outcome == "skipped" and isinstance(report.longrepr, tuple):
                    info["message"] = str(report.longrepr[2])
            entry.update(info)
        if report.when == "teardown":
            entry["seconds"] = round(
                time.time() - self._starts.get(report.nodeid, time.time()), 3
            )
            started = self._cpu_starts.get(report.nodeid, time.process_time())
            entry["cpu_seconds"] = round(time.process_time() - started, 3)
            if report.nodeid in self._timed_out:
                entry.update(
                    outcome="timeout",
                    code="timeout",
                    exception="TimeLimit",
                    evidence="",
                    message=f"could not check: time limit (the test used its "
                    f"{self.cpu_limit:g} s of CPU time)",
                )
            self.data["running"] = None
            self.write()

    def pytest_sessionfinish(self, session, exitstatus) -> None:
        self.data["finished"] = True
        self.data["running"] = None
        self.data["exitstatus"] = int(exitstatus)
        self.data["seconds"] = round(time.time() - self.data["started"], 3)
        self.write()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config) -> None:
    """With the contract's ``fast_exit``, end the process once results are written.

    Tearing TensorFlow down at interpreter exit takes seconds and can hang on
    threads the student's code started; the grader needs only the JSON file.
    """
    recorder = config.pluginmanager.get_plugin("grader-recorder")
    if recorder is None or not (CONTRACT and CONTRACT.fast_exit):
        return
    if not recorder.data.get("finished"):
        # The session did not end normally (an error inside pytest or a
        # plugin): let pytest exit with its own status, never a made-up 0.
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(int(recorder.data.get("exitstatus", 1)))


def pytest_configure(config) -> None:
    """Register the ``rubric`` marker and the recorder (with a contract)."""
    config.addinivalue_line(
        "markers", "rubric(item, check): rubric item id and check name of a test"
    )
    if CONTRACT is not None and CONTRACT.results:
        recorder = Recorder(Path(CONTRACT.results), CONTRACT.test_cpu_seconds)
        config.pluginmanager.register(recorder, "grader-recorder")
