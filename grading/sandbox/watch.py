"""Watching a child: its output, its CPU time, its end, its stragglers.

:class:`Capture` drains a pipe keeping head and tail; :func:`wait` waits with
a deadline; :class:`CpuMeter` samples the CPU time of a process tree;
:func:`gone` waits for a process to end; :func:`signal_tree` signals a
process group and its known descendants (the unsandboxed case only: under
bubblewrap the PID namespace ends everything).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Any

#: Seconds between SIGTERM and SIGKILL when an unsandboxed child is stopped.
KILL_GRACE = 2.0


class Capture(threading.Thread):
    """Drain a pipe, keeping the first and the last ``cap / 2`` bytes."""

    def __init__(self, stream, cap: int) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.half = max(1, cap // 2)
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def run(self) -> None:
        try:
            while True:
                chunk = (
                    self.stream.read1(65536)
                    if hasattr(self.stream, "read1")
                    else self.stream.read(65536)
                )
                if not chunk:
                    break
                self.total += len(chunk)
                room = self.half - len(self.head)
                if room > 0:
                    self.head += chunk[:room]
                    chunk = chunk[room:]
                if chunk:
                    self.tail += chunk
                    if len(self.tail) > self.half:
                        del self.tail[: len(self.tail) - self.half]
        except (OSError, ValueError):
            pass

    def text(self) -> tuple[str, bool]:
        truncated = self.total > len(self.head) + len(self.tail)
        head = self.head.decode("utf-8", errors="replace")
        tail = self.tail.decode("utf-8", errors="replace")
        if truncated:
            dropped = self.total - len(self.head) - len(self.tail)
            return f"{head}\n[... {dropped} bytes of output left out ...]\n{tail}", True
        return head + tail, False


@dataclass
class Ended:
    """How a child ended: its status, resource usage, why it was stopped."""

    returncode: int
    rusage: Any
    killed: str
    cpu: float | None = None


def wait(proc: subprocess.Popen, timeout: float, stop, tick=None) -> Ended:
    """Wait for ``proc`` until ``timeout``; call ``stop(proc, first)`` then.

    ``tick()`` is called about twice a second while the child runs.
    """
    deadline = time.monotonic() + max(0.0, float(timeout))
    killed = ""
    stopped_at: float | None = None
    last_tick = 0.0
    while True:
        try:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        except ChildProcessError:
            return Ended(-9, None, killed)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return Ended(proc.returncode, rusage, killed)
        now = time.monotonic()
        if tick is not None and now - last_tick >= 0.5:
            last_tick = now
            tick()
        if now >= deadline and stopped_at is None:
            killed, stopped_at = "timeout", now
            stop(proc, True)
        elif stopped_at is not None and now - stopped_at >= KILL_GRACE:
            stop(proc, False)
            stopped_at = float("inf")
        time.sleep(0.02)


class CpuMeter:
    """CPU time of a process tree, sampled (bubblewrap does not pass on the
    resource usage of the processes it reaps)."""

    def __init__(self) -> None:
        self.seen: dict[tuple[int, float], float] = {}

    def sample(self, root: int | None) -> None:
        """Record the CPU time of ``root`` and its descendants now."""
        if not isinstance(root, int):
            return
        import psutil

        try:
            top = psutil.Process(root)
            processes = [top, *top.children(recursive=True)]
        except psutil.Error:
            return
        for process in processes:
            try:
                with process.oneshot():
                    times = process.cpu_times()
                    key = (process.pid, process.create_time())
                used = times.user + times.system
                used += times.children_user + times.children_system
                self.seen[key] = max(self.seen.get(key, 0.0), used)
            except psutil.Error:
                continue

    @property
    def total(self) -> float:
        """CPU seconds of every process seen, at its last sample."""
        return sum(self.seen.values())


def gone(pid: int, started: float | None, seconds: float = 5.0) -> bool:
    """Wait until process ``pid`` (started at ``started``) no longer runs."""
    import psutil

    until = time.monotonic() + seconds
    while time.monotonic() < until:
        try:
            process = psutil.Process(pid)
            if started is not None and abs(process.create_time() - started) > 0.01:
                return True  # the number was reused: ours is gone
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.Error:
            return True
        time.sleep(0.02)
    return False


def _descendants(pid: int, known: dict[int, float]) -> None:
    """Add the live descendants of ``pid`` to ``known`` (pid -> start time)."""
    try:
        import psutil

        for child in psutil.Process(pid).children(recursive=True):
            try:
                known.setdefault(child.pid, child.create_time())
            except psutil.Error:
                pass
    except Exception:  # noqa: BLE001 - the tree changes while we look
        pass


def signal_tree(pid: int, known: dict[int, float], sig: int, group: bool) -> None:
    """Send ``sig`` to the process group ``pid`` and every known descendant."""
    import psutil

    if group:
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        _descendants(pid, known)
    for child, started in list(known.items()):
        try:
            process = psutil.Process(child)
            if abs(process.create_time() - started) < 0.01:
                process.send_signal(sig)
        except psutil.Error:
            known.pop(child, None)


def close_captures(proc: subprocess.Popen, captures: list[Capture]) -> None:
    join_until = time.monotonic() + 1.5
    for capture in captures:
        capture.join(timeout=max(0.0, join_until - time.monotonic()))
    for stream in (proc.stdout, proc.stderr):
        try:
            stream.close()
        except OSError:
            pass
