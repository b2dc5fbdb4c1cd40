"""Fixtures of the hidden-test tests: build submissions and grade them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hidden_grading import LAB, MODULE, ROOT


@pytest.fixture
def reference_source() -> str:
    """The reference solution of lab 03."""
    return (ROOT / "grading/private/reference" / LAB / Path(MODULE).name).read_text(
        encoding="utf-8"
    )
