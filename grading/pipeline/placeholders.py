"""Make results independent of where grading ran.

Absolute paths of the scratch folder, the output folder, the submission and
the grader's own install become placeholders (``<workdir>``, ``<out>``,
``<submission>``, ``<grader>``, ``<home>``), and odd values become JSON.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from grading.util.paths import REPO_ROOT

# Temporary HOME folders of sandboxed runs (random names).
_SANDBOX_HOME = re.compile(
    re.escape(tempfile.gettempdir().rstrip("/")) + r"/grading-home-[A-Za-z0-9_]+"
)


def jsonable(value: Any) -> Any:
    """Return ``value`` made JSON-serialisable (paths and odd objects as text)."""
    try:
        json.dumps(value, sort_keys=True)
        return value
    except (TypeError, ValueError):
        pass
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        items = [jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set) else items
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)


def grader_root_pairs() -> set[tuple[str, str]]:
    """Map the grader's own folder (in tracebacks) to ``<grader>/``.

    Results then do not depend on where the grader is installed (a clone in
    ``/tmp`` or ``/opt/grader``); the relative file names stay useful.
    """
    pairs = set()
    for root in {str(REPO_ROOT), os.path.realpath(REPO_ROOT)}:
        if root.rstrip(os.sep):
            pairs.add((root.rstrip(os.sep) + os.sep, "<grader>" + os.sep))
    return pairs


def replacements(workdir: Path, out: Path, submission: Path) -> list[tuple[str, str]]:
    """Return the ``(path, placeholder)`` pairs of one run, longest path first."""
    pairs = {
        (str(workdir), "<workdir>"),
        (os.path.realpath(workdir), "<workdir>"),
        (str(out), "<out>"),
        (str(submission), "<submission>"),
        *grader_root_pairs(),
    }
    return sorted(pairs, key=lambda pair: -len(pair[0]))


def scrub(value: Any, pairs: list[tuple[str, str]]) -> Any:
    """Replace absolute paths in strings (recursively) by their placeholders."""
    if isinstance(value, str):
        for old, new in pairs:
            if old:
                value = value.replace(old, new)
        return _SANDBOX_HOME.sub("<home>", value)
    if isinstance(value, dict):
        return {k: scrub(v, pairs) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, pairs) for v in value]
    return value
