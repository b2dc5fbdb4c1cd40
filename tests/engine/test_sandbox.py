"""The sandbox: limits, output, working copy, pytest (isolation: test_isolation)."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from grading import sandbox
from grading.sandbox import (
    Mount,
    limits,
    make_working_copy,
    pytest_argv,
    run_sandboxed,
    workcopy,
)

PY = sys.executable


def _py(code: str) -> list[str]:
    return [PY, "-c", textwrap.dedent(code)]


def test_returns_output_and_exit_code(tmp_path):
    result = run_sandboxed(
        _py("import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"),
        tmp_path,
        timeout=30,
        memory_mb=0,
    )
    assert result.returncode == 3
    assert result.stdout.strip() == "out"
    assert result.stderr.strip() == "err"
    assert not result.timed_out and result.killed == "" and not result.ok


def test_sigterm_ignoring_child_is_killed(tmp_path):
    code = """
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(600)
    """
    start = time.monotonic()
    result = run_sandboxed(_py(code), tmp_path, timeout=1, memory_mb=0)
    assert result.timed_out
    assert result.returncode == -9
    assert time.monotonic() - start < 1 + 5


def test_memory_limit_triggers(tmp_path):
    code = """
        block = bytearray(1024 * 1024 * 1024)
        print("allocated", len(block))
    """
    result = run_sandboxed(_py(code), tmp_path, timeout=30, memory_mb=256)
    assert result.returncode != 0
    assert "MemoryError" in result.stderr
    assert result.memory_exceeded
    assert "allocated" not in result.stdout


def test_memory_limit_allows_normal_use(tmp_path):
    code = "block = bytearray(50 * 1024 * 1024); print(len(block))"
    result = run_sandboxed(_py(code), tmp_path, timeout=30, memory_mb=512)
    assert result.returncode == 0, result.stderr
    assert not result.memory_exceeded


def test_core_and_file_size_limits(tmp_path):
    code = """
        import resource
        print(resource.getrlimit(resource.RLIMIT_CORE)[0],
              resource.getrlimit(resource.RLIMIT_FSIZE)[0])
    """
    result = run_sandboxed(_py(code), tmp_path, timeout=30, memory_mb=0)
    core, fsize = map(int, result.stdout.split())
    assert core == 0
    assert fsize == sandbox.MAX_FILE_BYTES


def test_output_is_capped_keeping_head_and_tail(tmp_path):
    code = """
        import sys
        sys.stdout.write("HEAD\\n")
        for _ in range(200):
            sys.stdout.write("x" * 10000 + "\\n")
        sys.stdout.write("TAIL\\n")
    """
    result = run_sandboxed(
        _py(code), tmp_path, timeout=30, memory_mb=0, output_cap=64 * 1024
    )
    assert result.stdout_truncated
    assert result.stdout.startswith("HEAD")
    assert result.stdout.rstrip().endswith("TAIL")
    assert len(result.stdout) < 70 * 1024
    assert "bytes of output left out" in result.stdout


def test_exit_paths_do_not_break_the_grader(tmp_path):
    for code in (
        "import os; os._exit(7)",
        "import sys; sys.exit('bye')",
        "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)",
    ):
        result = run_sandboxed(_py(code), tmp_path, timeout=30, memory_mb=0)
        assert result.returncode != 0
        assert not result.timed_out


# --------------------------------------------------------------------------
# Working copy
# --------------------------------------------------------------------------


def test_working_copy_skips_and_never_leaves_the_submission(tmp_path):
    sub = tmp_path / "sub"
    (sub / ".git").mkdir(parents=True)
    (sub / ".git" / "config").write_text("x")
    (sub / "build").mkdir()
    (sub / "build" / "junk").write_text("x")
    (sub / "pkg").mkdir()
    (sub / "pkg" / "code.py").write_text("A = 1\n")
    (sub / "big.bin").write_bytes(b"0" * 2000)
    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy")
    (sub / "link_out").symlink_to(secret)
    (sub / "link_dir_out").symlink_to(tmp_path)
    (sub / "link_in").symlink_to(sub / "pkg" / "code.py")
    (sub / "broken").symlink_to(tmp_path / "nothing")
    os.mkfifo(sub / "fifo")
    dest = tmp_path / "copy"
    findings = make_working_copy(sub, dest, max_file_bytes=1000)
    assert (dest / "pkg" / "code.py").read_text() == "A = 1\n"
    assert (dest / "link_in").read_text() == "A = 1\n"
    assert not (dest / "link_in").is_symlink()
    for absent in (
        ".git",
        "build",
        "big.bin",
        "link_out",
        "link_dir_out",
        "broken",
        "fifo",
    ):
        assert not (dest / absent).exists(), absent
    codes = sorted(f.code for f in findings)
    assert codes == [
        "broken_symlink",
        "large_file",
        "special_file",
        "symlink_outside",
        "symlink_outside",
    ]
    assert all(str(tmp_path) not in f.message for f in findings)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_working_copy_survives_unreadable_file_as_user(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "secret.py").write_text("x")
    (sub / "secret.py").chmod(0)
    (sub / "ok.py").write_text("y")
    findings = make_working_copy(sub, tmp_path / "copy")
    assert (tmp_path / "copy" / "ok.py").exists()
    assert [f.code for f in findings] == ["unreadable"]


# --------------------------------------------------------------------------
# pytest in the sandbox ignores the submission's configuration
# --------------------------------------------------------------------------

HIDDEN_TEST = """
import os
import sys


def test_student_value():
    import student_mod
    assert student_mod.VALUE == 42


def test_site_state():
    assert "sitecustomize" not in sys.modules
    assert "usercustomize" not in sys.modules
    assert not os.environ.get("PTH_RAN")
"""

HOSTILE = {
    # Marks every test as passed.
    "conftest.py": """
        import pytest

        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(item, call):
            outcome = yield
            outcome.get_result().outcome = "passed"
    """,
    "pytest.ini": "[pytest]\naddopts = -k nothing\n",
    "pyproject.toml": "[tool.pytest.ini_options]\naddopts = '-k nothing'\n",
    "setup.cfg": "[tool:pytest]\naddopts = -k nothing\n",
    "tox.ini": "[pytest]\naddopts = -k nothing\n",
    "sitecustomize.py": "raise SystemExit('sitecustomize ran')\n",
    "usercustomize.py": "raise SystemExit('usercustomize ran')\n",
    "evil.pth": "import os; os.environ['PTH_RAN'] = '1'\n",
    "pytest_timeout.py": "raise SystemExit('shadowed plugin ran')\n",
    "student_mod.py": "VALUE = 41\n",
}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """Run the hidden test against a working copy full of traps, once."""
    root = tmp_path_factory.mktemp("hostile")
    sub = root / "submission"
    sub.mkdir()
    for name, text in HOSTILE.items():
        (sub / name).write_text(textwrap.dedent(text))
    # A .pth and sitecustomize inside a folder that looks like site-packages.
    fake_site = sub / "lib" / "site-packages"
    fake_site.mkdir(parents=True)
    (fake_site / "evil.pth").write_text("import sys; sys.exit('pth ran')\n")
    tests = root / "hidden"
    tests.mkdir()
    (tests / "test_hidden.py").write_text(HIDDEN_TEST)
    work = root / "work"
    make_working_copy(sub, work)
    env = {"PYTEST_ADDOPTS": "-k nothing", "PYTEST_PLUGINS": "student_mod"}
    argv = pytest_argv(tests, work, ["-rA", "-p", "no:randomly"])
    return run_sandboxed(
        argv,
        work,
        timeout=60,
        memory_mb=2048,
        extra_env=env,
        mounts=[Mount(tests)],
    )


def test_hostile_config_is_ignored(hostile_run):
    out = hostile_run.stdout
    # The student's conftest would turn the failure into a pass.
    assert "FAILED" in out and "test_student_value" in out, out + hostile_run.stderr
    # addopts = -k nothing would deselect everything.
    assert "deselected" not in out
    assert "PASSED" in out and "test_site_state" in out
    assert hostile_run.returncode == 1
    for marker in (
        "sitecustomize ran",
        "usercustomize ran",
        "pth ran",
        "shadowed plugin ran",
    ):
        assert marker not in out + hostile_run.stderr


def test_pytest_argv_refuses_tests_inside_workcopy(tmp_path):
    (tmp_path / "tests").mkdir()
    with pytest.raises(ValueError, match="inside the working copy"):
        pytest_argv(tmp_path / "tests", tmp_path, [])


def test_pytest_argv_targets_resolve_inside_tests_dir(tmp_path):
    tests = tmp_path / "hidden"
    tests.mkdir()
    argv = pytest_argv(tests, tmp_path / "work", [], targets=["test_a.py::test_x"])
    assert argv[-1] == f"{tests.resolve()}/test_a.py::test_x"
    with pytest.raises(ValueError, match="outside"):
        pytest_argv(tests, tmp_path / "work", [], targets=["../x.py"])


def test_traps_work_without_the_sandbox(tmp_path):
    """Control: the same traps do change a plain pytest run."""
    sub = tmp_path / "plain"
    sub.mkdir()
    for name in ("conftest.py", "pytest.ini", "student_mod.py"):
        (sub / name).write_text(textwrap.dedent(HOSTILE[name]))
    (sub / "test_hidden.py").write_text(HIDDEN_TEST)
    plain = [PY, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "test_hidden.py"]
    result = run_sandboxed(plain, sub, timeout=60, memory_mb=0)
    assert "deselected" in result.stdout
    (sub / "pytest.ini").unlink()
    result = run_sandboxed(plain, sub, timeout=60, memory_mb=0)
    assert result.returncode == 0 and "2 passed" in result.stdout


def test_working_copy_survives_copy_errors(tmp_path, monkeypatch):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "secret.py").write_text("x")
    (sub / "ok.py").write_text("y")
    real = workcopy.shutil.copyfile

    def copyfile(src, dst, **kwargs):
        if Path(src).name == "secret.py":
            raise PermissionError(13, "Permission denied", str(src))
        return real(src, dst, **kwargs)

    monkeypatch.setattr(workcopy.shutil, "copyfile", copyfile)
    findings = make_working_copy(sub, tmp_path / "copy")
    assert (tmp_path / "copy" / "ok.py").read_text() == "y"
    assert not (tmp_path / "copy" / "secret.py").exists()
    assert [(f.code, f.evidence) for f in findings] == [("unreadable", "secret.py")]


def test_process_limit_leaves_room_beyond_what_the_user_runs():
    # RLIMIT_NPROC counts all threads of the user: concurrent gradings as the
    # same user must not eat this child's share.
    import threading

    ids = (os.getuid(), os.getgid())
    gate = threading.Event()
    extra = [threading.Thread(target=gate.wait) for _ in range(20)]
    for thread in extra:
        thread.start()
    try:
        limit = limits.nproc_limit(ids)
        running = len(os.listdir("/proc/self/task"))
    finally:
        gate.set()
        for thread in extra:
            thread.join()
    assert limit >= running + 4096
