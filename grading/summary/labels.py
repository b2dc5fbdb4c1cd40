"""Which value a label, a table header or a line names.

A *label* is the word before a value: ``Accuracy``, ``Średnia precyzja``,
``deflated``, ``ZIP size [kB]``. :func:`classify` maps it to a key: one of
the metric keys, ``deflation``, ``size`` (the compressed size) or
``size_orig`` (the size before compression). English and Polish stems.
"""

from __future__ import annotations

import re

from grading.summary import numbers

# (key, regex) in matching order; Polish stems take any ending.
_LABELS = [
    ("top5", r"top[- ]?5"),
    (
        "samples",
        r"(?:test )?samples|(?:liczba )?próbek|images tested|obrazów testowych",
    ),
    (
        "g_mean",
        r"g[-_ ]?mean|geometric mean|średni\w{0,6} geometryczn\w{0,6}"
        r"|sredni\w{0,6} geometryczn\w{0,6}",
    ),
    ("precision", r"precision|prec|precyzj\w{0,4}|ppv"),
    (
        "sensitivity",
        r"sensitivity|sens|recall|tpr|czułoś\w{0,4}|czulos\w{0,4}|czułos\w{0,4}",
    ),
    (
        "accuracy",
        r"accuracy|acc|dokładnoś\w{0,4}|dokladnos\w{0,4}|trafnoś\w{0,4}|trafnos\w{0,4}",
    ),
    (
        "inference_ms",
        r"inference(?: time)?|czas\w{0,4}(?: inferencji)?|latency|time",
    ),
    ("deflation", r"deflat\w{0,4}|deflac\w{0,4}|stopień kompresji|stopien kompresji"),
    (
        "size",
        r"(?:compressed |zip(?:ped)? |archive |file )?size|rozmiar\w{0,4}"
        r"|wielkoś\w{0,4}|wielkos\w{0,4}",
    ),
]
#: One look-behind for all labels: the alternatives are tried at word starts only.
LABEL_RE = re.compile(
    "(?<![\\w-])(?=[acdfgilmoprstwzś])(?:"
    + "|".join(f"(?P<{k}>{p})" for k, p in _LABELS)
    + ")(?!\\w)",
    re.IGNORECASE,
)
#: Words that make a size the one before compression.
ORIGINAL = re.compile(
    r"original|uncompress|nieskompres|bez kompresji|before|przed|oryg"
    r"|\btflite\b(?!-)|\bin=",
    re.IGNORECASE,
)
#: Words that make a size the compressed one.
COMPRESSED = re.compile(
    r"(?<!un)compress|(?<!nie)skompres|zip|deflat|after|\bpo\b|archiw|kompresj"
    r"|\bout=",
    re.IGNORECASE,
)
_BATCH = re.compile(r"batch", re.IGNORECASE)


def size_role(text: str) -> str:
    """Return ``size_orig`` or ``size`` for the words around a size.

    Whichever kind of word comes first wins: ``size before zip`` is the
    original size, ``zip size of the original model`` the compressed one.
    """
    original = ORIGINAL.search(text)
    compressed = COMPRESSED.search(text)
    if original and (compressed is None or original.start() < compressed.start()):
        return "size_orig"
    return "size"


def classify(label: str) -> str | None:
    """Return the metric, deflation or size key a label names, or None."""
    match = LABEL_RE.search(label)
    if not match:
        return None
    key = match.lastgroup
    if key == "size" or (
        key == "deflation" and re.search(r"size|rozmiar", label, re.I)
    ):
        if _BATCH.search(label):
            return None
        return size_role(label)
    return key


def classify_header(header: str) -> str | None:
    """Like :func:`classify` for a table header (``zip_mb``, ``ZIP [kB]``)."""
    text = header.replace("_", " ")
    key = classify(text)
    if key is None and numbers.unit_in(text) and numbers.NUMBER.search(text) is None:
        return size_role(text)  # "zip [kB]", "zip_mb", "MB"
    return key
