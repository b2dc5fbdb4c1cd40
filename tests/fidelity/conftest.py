"""Fixtures of the grading-accuracy corpus.

The forks need the mirror of the original course (``COURSE_MIRROR`` or
``/work/.mirror/antmicro+dl-in-iot-course/repo``, as on the course's CI
machine); without it their tests are skipped, saying so (``need_mirror`` of
``corpus_build``). The submissions of our own template are clones of a
release made once per test session.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Path:
    """Our released student template (a git repository)."""
    from grading.private.packaging import release

    out = tmp_path_factory.mktemp("release") / "template"
    release(out)
    return out
