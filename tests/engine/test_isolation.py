"""What the sandboxed child sees and can do: bubblewrap's guarantees.

Each test runs a small Python child under :func:`run_sandboxed` and asserts
one guarantee of ``docs/threat-model.md``. As root, the same tests run again
as an unprivileged user: ``tests/engine/test_unprivileged.py`` runs this file
in a copy of the tree owned by a test user (``tests/hostile/as_user.py``),
with an interpreter that user can run.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
import uuid
from pathlib import Path

import psutil
import pytest

from grading.sandbox import (
    Mount,
    SandboxUnavailable,
    grant_access,
    isolation,
    run_sandboxed,
    sandbox_status,
)

PY = sys.executable

pytestmark = pytest.mark.skipif(
    not sandbox_status().available, reason=sandbox_status().reason
)


def _py(code: str) -> list[str]:
    return [PY, "-c", textwrap.dedent(code)]


def _alive(token: str) -> list[int]:
    """Host processes whose command line carries ``token``."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if token in " ".join(proc.info["cmdline"] or []):
                found.append(proc.pid)
        except (psutil.Error, TypeError):
            continue
    return [p for p in found if p != os.getpid()]


def _sleeper(token: str, detach: str = "") -> str:
    """Python source that starts a sleeper carrying ``token`` in its argv."""
    return f"""
        import os, subprocess, sys
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)",
                          {token!r}]{detach})
    """


def test_timeout_ends_the_whole_tree_within_the_limit(tmp_path):
    token = f"iso-{uuid.uuid4().hex}"
    code = (
        _sleeper(token)
        + _sleeper(token, ", start_new_session=True")
        + """
        print("started", flush=True)
        import time; time.sleep(600)
    """
    )
    start = time.monotonic()
    result = run_sandboxed(_py(code), tmp_path, timeout=3, memory_mb=0)
    assert result.timed_out and result.killed == "timeout"
    assert time.monotonic() - start < 3 + 5
    assert "started" in result.stdout
    assert _alive(token) == []


def test_daemon_with_empty_environment_dies_with_the_run(tmp_path):
    token = f"iso-{uuid.uuid4().hex}"
    code = f"""
        import os, sys, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execve(sys.executable, [sys.executable, "-c",
                          "import time; time.sleep(600)", {token!r}], {{}})
            os._exit(0)
        time.sleep(1)
    """
    result = run_sandboxed(_py(code), tmp_path, timeout=30, memory_mb=0)
    assert result.returncode == 0, result.stderr
    assert _alive(token) == []


def test_cpu_limit_ends_a_busy_child_and_says_so(tmp_path):
    result = run_sandboxed(
        _py("while True: pass"), tmp_path, timeout=60, cpu_seconds=1, memory_mb=0
    )
    assert result.timed_out and result.killed == "cpu"
    assert result.cpu_seconds > 0.3  # sampled twice a second


def test_cpu_limit_does_not_count_sleep(tmp_path):
    result = run_sandboxed(
        _py("import time; time.sleep(2.5); print('slept')"),
        tmp_path,
        timeout=30,
        cpu_seconds=1,
        memory_mb=0,
    )
    assert result.ok, result.stderr
    assert "slept" in result.stdout


def test_environment_is_scrubbed(tmp_path, monkeypatch):
    for name in ("GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "SSH_AUTH_SOCK"):
        monkeypatch.setenv(name, "leak")
    monkeypatch.setenv("PYTEST_ADDOPTS", "leak")
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "0")
    code = """
        import json, os
        open(os.path.join(os.environ["HOME"], "home.txt"), "w").write("x")
        print(json.dumps(dict(os.environ)))
    """
    result = run_sandboxed(
        _py(code), tmp_path, timeout=30, memory_mb=0, extra_env={"GRADER_SET": "yes"}
    )
    env = json.loads(result.stdout)
    assert "leak" not in env.values()
    assert env["TF_USE_LEGACY_KERAS"] == "1"
    assert env["PYTHONHASHSEED"] == "0"
    assert env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] == "1"
    assert env["GRADER_SET"] == "yes"
    assert env["HOME"] == "/tmp/home"
    # HOME is on the child's private /tmp: nothing of it reaches the host.
    assert not Path("/tmp/home/home.txt").exists() or (
        Path("/tmp/home/home.txt").stat().st_mtime < time.time() - 60
    )


def test_child_sees_only_its_runtime_and_its_mounts(tmp_path):
    work, shown, hidden = tmp_path / "work", tmp_path / "shown", tmp_path / "hidden"
    for folder in (work, shown, hidden):
        folder.mkdir()
    (shown / "note.txt").write_text("visible")
    (hidden / "secret.txt").write_text("secret")
    code = f"""
        import json, os
        seen = {{}}
        for path in ["/", "/root", "/home", "/work", "/etc", {str(tmp_path)!r}]:
            try:
                seen[path] = sorted(os.listdir(path))
            except OSError as exc:
                seen[path] = exc.strerror
        for path in [{str(hidden / "secret.txt")!r}, {str(shown / "note.txt")!r}]:
            try:
                seen[path] = open(path).read()
            except OSError as exc:
                seen[path] = exc.strerror
        print(json.dumps(seen))
    """
    result = run_sandboxed(
        _py(code), work, timeout=30, memory_mb=0, mounts=[Mount(shown)]
    )
    seen = json.loads(result.stdout)
    assert result.isolation == "bubblewrap" and result.filesystem == "private"
    assert seen[str(hidden / "secret.txt")] == "No such file or directory"
    assert seen[str(shown / "note.txt")] == "visible"
    assert sorted(seen[str(tmp_path)]) == ["shown", "work"]
    assert sorted(seen["/etc"]) == sorted(
        ["group", "passwd"]
        + [Path(p).name for p in isolation.ETC_FILES if os.path.exists(p)]
    )
    # /home shows at most the folders on the way to what is mounted.
    needed = {
        Path(p).parts[2]
        for p in (str(tmp_path), sys.prefix, sys.base_prefix)
        if Path(p).parts[1:2] == ("home",) and len(Path(p).parts) > 2
    }
    if seen["/home"] != "No such file or directory":
        assert set(seen["/home"]) <= needed, seen["/home"]
    # The root shows the system folders and, besides them, only the first
    # folder on the way to each runtime mount (a clone in /check/... shows
    # "check", because its virtual environment is bound there).
    on_the_way = {
        Path(item.dest).parts[1]
        for item in isolation.runtime_mounts()
        if isinstance(item, Mount) and len(Path(item.dest).parts) > 1
    } | {Path(tmp_path).parts[1]}
    system = {"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc"}
    system |= {"sbin", "tmp", "usr", "root", "work", "home", "opt", "srv"}
    for entry in seen["/"]:
        assert entry in system | on_the_way, entry


def test_mounts_are_read_only_and_cannot_be_remounted(tmp_path):
    work, shown = tmp_path / "work", tmp_path / "shown"
    work.mkdir()
    shown.mkdir()
    code = f"""
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        out = []
        for path in ["rel.txt", {str(shown / "x.txt")!r}, "/usr/x.txt", "/tmp/x"]:
            try:
                open(path, "w").write("x")
                out.append("wrote " + path)
            except OSError as exc:
                out.append("blocked " + path)
        MS_REMOUNT, MS_BIND = 32, 4096
        rc = libc.mount(None, {str(shown).encode()!r}, None, MS_REMOUNT | MS_BIND,
                        None)
        out.append("remount %d %d" % (rc, ctypes.get_errno()))
        rc = libc.unshare(0x10000000)  # CLONE_NEWUSER
        out.append("userns %d" % rc)
        print("\\n".join(out))
    """
    result = run_sandboxed(
        _py(code), work, timeout=30, memory_mb=0, mounts=[Mount(shown)]
    )
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "wrote rel.txt",
        f"blocked {shown / 'x.txt'}",
        "blocked /usr/x.txt",
        "wrote /tmp/x",
    ], result.stderr
    assert lines[4].startswith("remount -1 ")
    assert lines[5] == "userns -1"
    assert not (shown / "x.txt").exists()


def test_proc_shows_only_the_sandbox(tmp_path):
    code = """
        import os
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
        print(len(pids), max(int(p) for p in pids))
        try:
            print(open("/proc/1/cmdline").read().split("\\0")[0])
        except OSError as exc:
            print(exc.strerror)
        caps = [l for l in open("/proc/self/status") if l.startswith("CapEff")]
        print(caps[0].split()[1])
    """
    os.environ["ISO_SECRET_OF_THE_GRADER"] = "do-not-leak"
    try:
        result = run_sandboxed(_py(code), tmp_path, timeout=30, memory_mb=0)
    finally:
        del os.environ["ISO_SECRET_OF_THE_GRADER"]
    count, highest, first, caps = result.stdout.split()
    assert int(count) <= 3 and int(highest) <= 10
    assert first.endswith("bwrap")
    assert int(caps, 16) == 0
    assert "do-not-leak" not in result.stdout


def test_network_is_isolated_by_default(tmp_path):
    code = """
        import socket
        print(sorted(name for _, name in socket.if_nameindex()))
        try:
            socket.create_connection(("192.0.2.1", 80), timeout=2)
            print("connected")
        except OSError as exc:
            print("no network:", exc.errno)
    """
    result = run_sandboxed(_py(code), tmp_path, timeout=30, memory_mb=0)
    assert result.network == "isolated"
    assert result.stdout.splitlines()[0] == "['lo']"
    assert "no network" in result.stdout and "connected" not in result.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="the user switch happens as root")
def test_root_grader_runs_the_child_as_nobody(tmp_path):
    work = tmp_path / "work"  # under pytest's 0700 base folder
    work.mkdir()
    code = "import os; open('made.txt', 'w').write('x'); print(os.getuid())"
    result = run_sandboxed(_py(code), work, timeout=30, memory_mb=0)
    assert result.returncode == 0, result.stderr
    assert result.user == isolation.SANDBOX_USER
    assert int(result.stdout) == isolation.SANDBOX_UID
    # Outside its namespaces too: the file it made belongs to nobody.
    assert (work / "made.txt").stat().st_uid == isolation.SANDBOX_UID


def test_grant_access_lets_the_child_write(tmp_path):
    work, extra = tmp_path / "work", tmp_path / "extra"
    work.mkdir()
    extra.mkdir()
    grant_access(extra)
    code = f"open({str(extra / 'out.txt')!r}, 'w').write('x')"
    result = run_sandboxed(
        _py(code),
        work,
        timeout=30,
        memory_mb=0,
        mounts=[Mount(extra, writable=True)],
    )
    assert result.ok, result.stderr
    assert (extra / "out.txt").read_text() == "x"


def test_refuses_without_bubblewrap_unless_unsafe(tmp_path, monkeypatch):
    monkeypatch.setattr(
        isolation, "_STATUS", isolation.Status(False, "", "no bwrap in this test")
    )
    with pytest.raises(SandboxUnavailable, match="--unsafe-no-sandbox"):
        run_sandboxed(_py("print(1)"), tmp_path, timeout=30, memory_mb=0)
    result = run_sandboxed(
        _py("print(1)"), tmp_path, timeout=30, memory_mb=0, unsafe=True
    )
    assert result.ok and result.stdout.strip() == "1"
    assert result.isolation == "none" and result.filesystem == "host"
    assert any("--unsafe-no-sandbox" in note for note in result.notes)
