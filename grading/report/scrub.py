"""Scrubbing of student-visible text: no hidden test ids, no grader internals."""

from __future__ import annotations

import re

# Characters that end a pytest node id (``path/test_x.py::test_name[param]``).
_NODEID_STOP = frozenset(" \t'\"()<>")
# Lines that point into the grader's own private folders.
_INTERNAL = re.compile(
    r"hidden_tests|grading[\\/](?:reference|hidden)|[\\/]reference[\\/]|def test_\w+"
)
HIDDEN_LINE = "[grader-internal line hidden]"
HIDDEN_TEST = "[hidden test]"


def _hide_nodeids(line: str) -> str:
    """Replace every ``something.py::name`` token of ``line`` by ``[hidden test]``.

    Linear in the line length (a regular expression would backtrack on long
    lines without spaces).
    """
    start = line.find(".py::")
    if start < 0:
        return line
    pieces = []
    done = 0
    while start >= 0:
        left = start
        while left > done and line[left - 1] not in _NODEID_STOP:
            left -= 1
        right = start + 5
        while right < len(line) and line[right] not in _NODEID_STOP:
            right += 1
        pieces.append(line[done:left])
        pieces.append(HIDDEN_TEST)
        done = right
        start = line.find(".py::", done)
    pieces.append(line[done:])
    return "".join(pieces)


def scrub_student_text(value: str) -> str:
    """Remove what points into the grader's private parts from student text.

    Pytest node ids become ``[hidden test]``. A line that names the hidden
    tests or the reference solution (a traceback frame, ``def test_...``)
    becomes ``[grader-internal line hidden]``, together with the more indented
    source lines that follow it (the code of that frame).

    Parameters
    ----------
    value : str
        Message, hint or evidence of a student-audience finding.

    Returns
    -------
    str
        The text with those parts replaced.
    """
    if not value:
        return value
    lines = value.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _INTERNAL.search(line):
            indent = len(line) - len(line.lstrip())
            if not out or out[-1].strip() != HIDDEN_LINE:
                out.append(" " * indent + HIDDEN_LINE)
            i += 1
            while (
                i < len(lines)
                and lines[i].strip()
                and (len(lines[i]) - len(lines[i].lstrip()) > indent)
            ):
                i += 1
            continue
        out.append(_hide_nodeids(line))
        i += 1
    return "\n".join(out)
