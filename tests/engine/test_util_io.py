"""The one atomic writer, and the sandbox's support files written with it."""

from __future__ import annotations

import os
import stat

from grading.sandbox import isolation
from grading.util.io import write_atomic


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_write_atomic_takes_a_mode(tmp_path):
    assert mode_of(write_atomic(tmp_path / "a", "x", mode=0o640)) == 0o640
    umask = os.umask(0o022)
    os.umask(umask)
    assert mode_of(write_atomic(tmp_path / "b", b"x")) == 0o666 & ~umask


def test_support_file_is_0644_and_follows_its_text(tmp_path, monkeypatch):
    monkeypatch.setattr(isolation, "_SUPPORT", tmp_path)
    path = isolation.support_file("passwd", "one\n")
    assert path == tmp_path / "passwd"
    assert mode_of(path) == 0o644
    assert isolation.support_file("passwd", "two\n").read_text() == "two\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["passwd"]
