"""Fixtures of the grading-accuracy corpus.

The forks need the mirror of the original course (``COURSE_MIRROR`` or
``/work/.mirror/antmicro+dl-in-iot-course/repo``, as on the course's CI
machine); without it their tests are skipped, saying so. The submissions of
our own template are clones of a release made once per test session.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from corpus_build import MIRROR, mirror_available

#: The hidden tests' data set and tiny model, shared with tests/hidden.
CACHE = Path(tempfile.gettempdir()) / "dl-in-iot-hidden-tests-cache"


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Path:
    """Our released student template (a git repository)."""
    from grading.private.packaging import release

    out = tmp_path_factory.mktemp("release") / "template"
    release(out)
    return out


def need_mirror(sub) -> None:
    """Skip a fork's test when the mirror of the original course is absent."""
    if sub.is_fork and not mirror_available():
        pytest.skip(f"no mirror of the original course at {MIRROR} (COURSE_MIRROR)")
