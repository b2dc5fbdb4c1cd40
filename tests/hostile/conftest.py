"""Fixtures of the hostile corpus (the harness is in ``hostile_harness.py``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_harness import corpus  # noqa: E402, F401 - the session fixture
