"""Find the paths a README asks students not to commit.

The lab README may say, for example, "do not commit `build/` or the
`*.tflite` files". Such sentences become extra junk patterns. The README is
read from the template's base commit when it is known, so that a student
cannot remove the rule by editing the README.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

_FORBID = re.compile(
    r"\b(?:do not|don't|dont|never|must not|should not|shouldn't|avoid)\s+"
    r"(?!forget|miss)(?:\w+\s+){0,2}?"
    r"(?:commit|committing|push|pushing|add|adding|upload|uploading)\b",
    re.I,
)
_PATHLIKE = re.compile(r"^[\w.*?/\-\[\]]+$")
_EXTENSION = re.compile(r"^\.[A-Za-z0-9]{1,6}$")
_MD = MarkdownIt("commonmark")


def forbidden_patterns(text: str) -> list[tuple[str, str]]:
    """Return ``(pattern, sentence)`` for each path the text forbids committing.

    Parameters
    ----------
    text : str
        Markdown source of a README.

    Returns
    -------
    list of tuple
        Inline-code paths (``build/``, ``*.h5``) found in a sentence that
        says not to commit them, with that sentence for evidence. A bare
        extension (``.h5``) becomes a file-name pattern (``*.h5``); "do not
        forget to commit" is not a prohibition.
    """
    found: list[tuple[str, str]] = []
    for token in _MD.parse(text):
        if token.type != "inline" or not token.children:
            continue
        for sentence, codes in _sentences(token.children):
            if not _FORBID.search(sentence):
                continue
            for candidate in codes:
                if _EXTENSION.match(candidate):
                    candidate = "*" + candidate  # `.h5` means any .h5 file
                if (
                    _PATHLIKE.match(candidate)
                    and any(c in candidate for c in "/*.")
                    and candidate not in (".", "..", "/")
                    and candidate not in [f[0] for f in found]
                ):
                    found.append((candidate, sentence[:200]))
    return found


def _sentences(children) -> list[tuple[str, list[str]]]:
    """Split inline tokens into sentences, keeping the code spans of each."""
    out: list[tuple[str, list[str]]] = []
    words: list[str] = []
    codes: list[str] = []
    for child in children:
        if child.type == "code_inline":
            words.append(f"`{child.content}`")
            codes.append(child.content.strip())
            continue
        if child.type not in ("text", "softbreak", "hardbreak"):
            continue
        pieces = re.split(r"(?<=[.!?])(?:\s+|$)", child.content or " ")
        for k, piece in enumerate(pieces):
            words.append(piece)
            if k < len(pieces) - 1:
                out.append((" ".join("".join(words).split()), codes))
                words, codes = [], []
    if words or codes:
        out.append((" ".join("".join(words).split()), codes))
    return out
