"""Small helpers shared by the labs: file sizes, ZIP deflation, logging."""

from __future__ import annotations

import io
import logging
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger("dl_in_iot_course")


def get_logger() -> logging.Logger:
    """Return the course logger, printing ``INFO`` messages to stderr once."""
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def human_size(num_bytes: float) -> str:
    """Format a byte count for people, e.g. ``16.42 MB`` (powers of 1000)."""
    value = float(num_bytes)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(value) < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.2f} {unit}"
        value /= 1000
    return f"{value:.2f} GB"  # pragma: no cover


def natural_key(path: str | os.PathLike) -> list:
    """Sort key ordering numbers by value: ``clustered-2`` before ``clustered-16``."""
    parts = re.split(r"(\d+(?:\.\d+)?)", str(path))
    return [
        (0, float(part), "") if i % 2 else (1, 0.0, part)
        for i, part in enumerate(parts)
    ]


@dataclass(frozen=True)
class ZipStats:
    """Size of a file before and after ZIP (DEFLATE) compression."""

    path: Path
    size: int
    compressed_size: int

    @property
    def deflation(self) -> float:
        """Saved fraction in percent, as ``zip`` prints it (``deflated 48%``)."""
        if self.size == 0:
            return 0.0
        return max(0.0, 100.0 * (1 - self.compressed_size / self.size))

    @property
    def ratio(self) -> float:
        """How many times smaller the compressed file is."""
        return self.size / self.compressed_size if self.compressed_size else 0.0


def zip_stats(path: str | os.PathLike, level: int = 6) -> ZipStats:
    """Compress one file with DEFLATE in memory, like ``zip FILE.zip FILE``.

    Parameters
    ----------
    path : path-like
        The file to measure, e.g. a ``.tflite`` model.
    level : int
        DEFLATE level; 6 is the default of the ``zip`` tool.

    Returns
    -------
    ZipStats
        Original size, compressed size of the member (as ``zip`` reports it,
        without the archive headers) and the deflation percentage.
    """
    path = Path(path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(
        buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level
    ) as archive:
        archive.write(path, arcname=path.name)
        info = archive.getinfo(path.name)
    return ZipStats(path=path, size=info.file_size, compressed_size=info.compress_size)


def model_size_table(directory: str | os.PathLike, pattern: str = "*.tflite") -> str:
    """Return a Markdown table of size, ZIP size and deflation of every model.

    Parameters
    ----------
    directory : path-like
        Directory searched recursively for files matching ``pattern``.
    pattern : str
        Glob of the model files.

    Returns
    -------
    str
        Markdown table, one row per file in natural name order, sizes in bytes and in
        human units; a sentence instead of a table when no file matches.
    """
    directory = Path(directory)
    files = sorted(
        (p for p in directory.rglob(pattern) if p.is_file()), key=natural_key
    )
    if not files:
        return f"No {pattern} files found in {directory}.\n"
    lines = [
        "| model | size | ZIP size | deflation | times smaller after ZIP |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for file in files:
        stats = zip_stats(file)
        lines.append(
            f"| {file.relative_to(directory)} | {stats.size} B "
            f"({human_size(stats.size)}) | {stats.compressed_size} B "
            f"({human_size(stats.compressed_size)}) | {stats.deflation:.1f} % "
            f"| {stats.ratio:.2f} |"
        )
    return "\n".join(lines) + "\n"
