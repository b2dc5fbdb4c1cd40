"""What a student may see of a run: their own error, nothing of the grader's.

The hidden tests run where the student's code runs, so that code can read
them and put them into exception messages, outputs or files that end up in
findings (the reference solutions are not mounted there at all). Before a
finding reaches the student view, :func:`student_view`

- keeps only the exception type and a capped message, and from the evidence
  only the frames in the student's own files (relative paths) with their
  source lines;
- replaces every line of the hidden tests and of the reference solutions,
  and every hidden test name, by :data:`REDACTED`;
- elides long opaque runs (base64, hex, compressed or binary data) by
  :data:`ELIDED`, so that a hidden test compressed and encoded does not
  travel out either.

The instructor gets one finding saying what was removed from which checks.
A submission can still spell out a few hundred characters per finding in a
form no filter recognises (a letter substitution); ``docs/threat-model.md``
says so.
"""

from __future__ import annotations

import ast
import math
import re
from collections import Counter
from pathlib import Path

from grading.pipeline.findings import Finding
from grading.util.text import cap

#: Text put where hidden-test or reference text was in a student message.
REDACTED = "[grader text removed]"
#: Text put where an opaque run of data was.
ELIDED = "[data removed]"
#: Shorter lines are too common to count as a leak (and too short to help).
MIN_SECRET_LINE = 25
#: Longest message, hint and evidence a student sees per finding.
MAX_MESSAGE, MAX_HINT, MAX_EVIDENCE = 1500, 1000, 2000
#: Longest source line shown under a frame.
MAX_SOURCE_LINE = 160

# Runs of characters of the base64/base32 alphabets (URL-safe too), hex runs,
# and byte dumps (spaced hex groups, lists of small numbers). The messages are
# the student's: every pattern must match in one way only, so that a run that
# falls short is given up in linear time. A separator is one class with one
# quantifier, and a group ends at a word boundary it cannot move past
# (``\s*[,;]?\s*`` splits each run of spaces in many ways and backtracks
# exponentially); tests/hidden/test_secrecy_linear.py times each.
_RUN = re.compile(r"[A-Za-z0-9+/=_\-]{32,}")
_HEX = re.compile(r"(?:0x)?[0-9a-fA-F]{32,}")
_BYTES = re.compile(r"(?:\b(?:0x)?[0-9a-fA-F]{1,4}\b[\s,:;\\x]+){16,}")
_INTS = re.compile(r"(?:\b\d{1,3}\b[\s,;]*){16,}")
# A frame line of the recorder's evidence: a relative path, a line, a name.
_FRAME = re.compile(r'^  File "(?!/)([^"\n]{1,200})", line \d+, in [\w<>.]{1,80}$')


def _entropy(text: str) -> float:
    counts = Counter(text)
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def _odd(char: str) -> bool:
    """A character that does not occur in text a person writes."""
    if char == "\ufffd":
        return True
    code = ord(char)
    if code < 32:
        return char not in "\t\n\r"
    return 0x7F <= code < 0xA0 or 0xD800 <= code < 0xE000 or code >= 0xF0000


def elide_opaque(text: str) -> tuple[str, bool]:
    """Replace long opaque runs in ``text`` by :data:`ELIDED`.

    Opaque: 32 or more hex digits; a run of 32 or more characters of the
    base64 alphabets whose character entropy is that of random data
    (identifiers and paths stay); 16 or more short hex groups or small
    numbers in a row (a byte dump); a word of which a quarter are
    replacement, control or private-use characters (binary data decoded as
    text).
    """
    changed = False

    def hide(match: re.Match) -> str:
        nonlocal changed
        changed = True
        return ELIDED

    def maybe(match: re.Match) -> str:
        # Paths split into short parts; random data stays long and varied.
        parts = match.group(0).split("/")
        if any(len(p) >= 32 and _entropy(p) >= 4.2 for p in parts):
            return hide(match)
        return match.group(0)

    for pattern in (_HEX, _BYTES, _INTS):
        text = pattern.sub(hide, text)
    text = _RUN.sub(maybe, text)

    def binary(match: re.Match) -> str:
        word = match.group(0)
        return hide(match) if sum(map(_odd, word)) * 4 >= len(word) else word

    text = re.sub(r"\S{4,}", binary, text)
    if any(map(_odd, text)):
        text = "".join(c for c in text if not _odd(c))
        changed = True
    if changed:
        marker = re.escape(ELIDED)
        text = re.sub(rf"{marker}(?:\s*{marker})+", ELIDED, text)
    return text, changed


def student_frames(evidence: str) -> str:
    """Keep the frames in the student's own files and their source lines."""
    kept: list[str] = []
    lines = evidence.splitlines()
    for index, line in enumerate(lines):
        if _FRAME.match(line):
            kept.append(line)
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if following.startswith("    ") and not _FRAME.match(following):
                kept.append("    " + cap(following.strip(), MAX_SOURCE_LINE))
    return "\n".join(kept[-40:])


# --------------------------------------------------------------- secrets


def _lines(folder: Path, patterns: tuple[str, ...]) -> set[str]:
    found: set[str] = set()
    for pattern in patterns:
        for path in folder.rglob(pattern):
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            found.update(line.strip() for line in text.splitlines())
    return found


def _string_constants(folder: Path) -> list[str]:
    """Every string literal of the Python files in ``folder``."""
    found = []
    for path in folder.rglob("*.py"):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, SyntaxError, ValueError):
            continue
        found += [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        ]
    return found


def secrets_of(
    tests: Path, course: Path, reference: Path
) -> tuple[list[str], list[str], set[str]]:
    """Hidden-test lines, reference lines and hidden test names to keep secret.

    Lines that also appear in the course package the students have
    (``course``) are public and not counted, as are the first docstring
    lines of the tests (they describe each check to the student) and the
    reference lines the hidden tests quote in their "expected ..." messages.
    """
    public = _lines(course, ("*.py",))
    for path in tests.rglob("test_*.py"):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                doc = (ast.get_docstring(node) or "").strip()
                if doc:
                    public.add(doc.splitlines()[0].strip())

    def secret(lines: set[str]) -> list[str]:
        return sorted(
            (x for x in lines if len(x) >= MIN_SECRET_LINE and x not in public),
            key=len,
            reverse=True,
        )

    hidden = secret(_lines(tests, ("*.py", "*.toml")))
    quoted = "\n".join(_string_constants(tests))
    ref = [line for line in secret(_lines(reference, ("*.py",))) if line not in quoted]
    names: set[str] = set()
    for path in tests.glob("test_*.py"):
        text = path.read_text(encoding="utf-8", errors="replace")
        names.update(re.findall(r"def (test_\w+)\(", text))
    public_text = "\n".join(public)
    return hidden, ref, {n for n in names if n not in public_text}


def _redact_text(text: str, lines: list[str], names: set[str]) -> tuple[str, bool]:
    changed = False
    for line in lines:
        if line in text:
            text = text.replace(line, REDACTED)
            changed = True
    for name in names:
        if name in text:
            text = re.sub(rf"\b{re.escape(name)}\b", REDACTED, text)
            changed = True
    return text, changed


def _clean(text: str, lines: list[str], names: set[str], limit: int, elide=True):
    text, redacted = _redact_text(text, lines, names)
    elided = False
    if elide:
        text, elided = elide_opaque(text)
    return cap(text, limit), redacted or elided


def student_view(
    findings: list[Finding], tests: Path, course: Path, reference: Path
) -> list[Finding]:
    """Make the student-audience findings safe to show (see the module text).

    Returns
    -------
    list of Finding
        ``findings`` cleaned in place, plus one instructor finding
        (``integrity.leak``) when anything was removed.
    """
    hidden, ref, names = secrets_of(tests, course, reference)
    leaked: list[str] = []
    for finding in findings:
        if finding.audience != "student":
            continue
        evidence = finding.evidence
        if finding.check.startswith("hidden."):
            evidence = student_frames(evidence)
        message, hit = _clean(finding.message, hidden + ref, names, MAX_MESSAGE)
        # The evidence shows the student's own frames: their code may equal
        # the reference, so only hidden-test text is removed there.
        evidence, hit2 = _clean(evidence, hidden, names, MAX_EVIDENCE)
        # Hints are the grader's own text (hints.py): redacted, not elided.
        hint, hit3 = _clean(finding.hint, hidden + ref, names, MAX_HINT, elide=False)
        if hit or hit2 or hit3:
            leaked.append(finding.check)
        finding.message, finding.evidence, finding.hint = message, evidence, hint
    if not leaked:
        return findings
    return findings + [
        Finding(
            check="integrity.leak",
            item="",
            passed=None,
            code="leak",
            audience="instructor",
            message="Text of the hidden tests or the reference solution, or "
            "opaque encoded data, appeared in what the student's code produced "
            "(exception messages, outputs); it was removed from the student's "
            "view. The student's code may have read the hidden tests.",
            evidence=", ".join(sorted(set(leaked))),
        )
    ]
