"""Names the delivery tests share: the repository, the fake grader, git.

A module of its own, not conftest.py: test modules import these names, and
"from conftest import" picks whichever conftest pytest loaded last.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FAKE_GRADER = Path(__file__).with_name("fake_grade.py")


def git(cwd: Path, *args: str) -> str:
    """Run git with a fixed identity; return stdout."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ada Student",
        "GIT_AUTHOR_EMAIL": "ada@example.org",
        "GIT_COMMITTER_NAME": "Ada Student",
        "GIT_COMMITTER_EMAIL": "ada@example.org",
    }
    out = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()
