"""Glob patterns over ``/``-separated relative paths, shared by the checks.

``*`` and ``?`` stay within one folder, ``**`` spans folders, and ``**/`` at
the start of a part also matches no folder at all (``**/*.png`` matches
``a.png``).
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=512)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile ``pattern`` into a regular expression matching a whole path.

    Parameters
    ----------
    pattern : str
        A glob such as ``"pkg/misc/**"`` or ``"results/*.md"``.

    Returns
    -------
    re.Pattern
        Use ``.match(path)``; it matches only the whole path.
    """
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")
