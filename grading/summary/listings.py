"""Read sizes and deflation from pasted tool output.

Students paste what their shell printed, in code blocks or notebook
outputs: ``zip`` (``adding: x.tflite (deflated 92%)``), ``zip -v``
(``(in=16420000) (out=1260000) (deflated 92%)``), ``unzip -v``
(``16420000  Defl:N  1260000  92% ... x.tflite``), ``ls -l``/``ls -lh``,
``du``/``du -h`` and ``wc -c``. Each reader takes one line that names a
variant's file and stores what it says. The patterns start only at the start
of a number (never inside a run of digits), so they are linear.
"""

from __future__ import annotations

import re

from grading.summary import numbers

_UNZIP_V = re.compile(
    r"(?<!\d)(\d{1,15})\s+(?:Defl:\w|Stored|Deflate\w{0,3}|Bzip2|Lzma)\s+"
    r"(\d{1,15})\s+(\d{1,3})%",
    re.IGNORECASE,
)
_ZIP_V = re.compile(r"\(in=(\d{1,15})\)\s*\(out=(\d{1,15})\)", re.IGNORECASE)
_ZIP = re.compile(r"\((?:deflated|stored) (\d{1,3})%\)", re.IGNORECASE)
_MONTH = (
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sty|lut|kwi|maj|cze|lip|sie"
    r"|wrz|paź|paz|lis|gru)\w{0,8}"
)
_LS_L = re.compile(
    rf"\s(\d{{1,15}}(?:[.,]\d{{1,3}})?[KMG]?)\s+{_MONTH}\s+\d", re.IGNORECASE
)
_DU = re.compile(r"\s*(\d{1,15}(?:[.,]\d{1,3})?)([KMG]?)\s+\S{0,300}\.zip\b", re.I)
_DU_TFLITE = re.compile(
    r"\s*(\d{1,15}(?:[.,]\d{1,3})?)([KMG]?)\s+\S{0,300}\.tflite\b", re.I
)


def read(line: str, variant: str, out) -> bool:
    """Store what one pasted listing line says about ``variant``.

    Parameters
    ----------
    line : str
        One line that names the variant's ``.tflite`` or ``.zip`` file.
    variant : str
        The canonical variant name.
    out : grading.summary.extract.Extracted
        Where values go.

    Returns
    -------
    bool
        True when the line was a listing (and nothing else is read from it).
    """
    match = _UNZIP_V.search(line)
    if match:
        out.put_original(variant, int(match.group(1)), rank=2)
        out.put_size(variant, int(match.group(2)), rank=2)
        out.put_percent(variant, float(match.group(3)))
        return True
    match = _ZIP_V.search(line)
    if match:
        out.put_original(variant, int(match.group(1)), rank=2)
        out.put_size(variant, int(match.group(2)), rank=2)
        deflated = _ZIP.search(line)
        if deflated:
            out.put_percent(variant, float(deflated.group(1)))
        return True
    match = _ZIP.search(line)
    if match and "adding:" in line.lower():
        out.put_percent(variant, float(match.group(1)))
        return True
    low = line.lower()
    if ".zip" in low:
        return _file_size(line, variant, out, compressed=True)
    if ".tflite" in low:
        return _file_size(line, variant, out, compressed=False)
    return False


def _file_size(line: str, variant: str, out, compressed: bool) -> bool:
    """``ls -l``, ``ls -lh``, ``du`` or ``wc -c`` of a ``.zip`` (the compressed
    size) or of a ``.tflite`` (the size before compression)."""
    got, guessed = None, False
    match = _LS_L.search(line)
    if match:
        token = match.group(1)
        suffix = token[-1].upper() if token[-1].isalpha() else ""
        got = numbers.as_bytes(token[:-1] + " " + suffix if suffix else token + " B")
    else:
        match = _DU.match(line) if compressed else _DU_TFLITE.match(line)
        if match:
            suffix = match.group(2)
            got = numbers.as_bytes(match.group(1) + (" " + suffix if suffix else ""))
    if not isinstance(got, tuple):
        return False
    size, guessed = got
    if compressed:
        out.put_size(variant, size, rank=2, guessed=guessed)
    else:
        out.put_original(variant, size, rank=2)
    return True
