"""bubblewrap's argument list never hides the sandbox's fresh folders.

bubblewrap applies its options in order, so a bind onto ``/`` or onto
``/proc``, ``/dev`` or ``/tmp`` (or a parent of them) given after
``--proc /proc`` would hide the fresh ``/proc`` and show the host's. No
bubblewrap is started here: only the plan and the argument list are built.
"""

from __future__ import annotations

import pytest

from grading.sandbox.isolation import Link, Mount, Plan, UnsafeMount, bwrap_argv, plan

HIDING = ["/", "//", "/proc", "/proc/", "/dev", "/tmp", "/tmp/..", "/usr/../tmp"]
FINE = ["/tmp/work", "/proc-copy", "/devices", "/opt/grader", "/dev/shm/x"]


def _argv(items) -> list[str]:
    return bwrap_argv("bwrap", Plan(items, []), "/", network=False, info_fd=None)


@pytest.mark.parametrize("dest", HIDING)
def test_a_mount_that_hides_a_fresh_folder_is_refused(tmp_path, dest):
    with pytest.raises(UnsafeMount):
        plan([Mount(tmp_path, dest)])
    with pytest.raises(UnsafeMount):
        _argv([Mount(tmp_path, dest, writable=True)])
    with pytest.raises(UnsafeMount):
        _argv([Link(dest, "usr/bin")])


def test_a_writable_mount_onto_root_is_refused_before_it_is_handed_over(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir(mode=0o700)
    owner = folder.stat().st_uid
    with pytest.raises(UnsafeMount):
        plan([Mount(folder, "/", writable=True)])
    assert folder.stat().st_uid == owner


def test_a_relative_sandbox_path_is_refused(tmp_path):
    with pytest.raises(UnsafeMount):
        _argv([Mount(tmp_path, "proc")])


@pytest.mark.parametrize("dest", FINE)
def test_mounts_below_or_beside_the_fresh_folders_are_kept(tmp_path, dest):
    argv = _argv([Mount(tmp_path, dest)])
    assert argv[argv.index(str(tmp_path)) + 1] == dest
    assert argv.index("--proc") < argv.index(str(tmp_path))


def test_the_runtime_plan_passes_the_guard(tmp_path):
    run_plan = plan([Mount(tmp_path, "/tmp/work")])
    try:
        argv = _argv(run_plan.items)
    finally:
        run_plan.cleanup()
    binds = [i for i, a in enumerate(argv) if a in ("--bind", "--ro-bind")]
    dests = [argv[i + 2] for i in binds]
    assert "/tmp/work" in dests and "/usr" in dests
    assert not {"/", "/proc", "/dev", "/tmp"} & set(dests)
