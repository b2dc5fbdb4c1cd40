"""Read a submission's structured-pruning summary into a typed report.

:func:`analyze_structured` locates the lab summary (as the ``summary`` check
does), reads its text with the word lists of the rubric's
``[summary.structured]`` table (:mod:`grading.summary.structured`) and judges
the model files committed with Git LFS (:mod:`grading.summary.lfs`). A
notebook is read from its cells' Markdown and printed outputs; a summary that
is not text (PDF, image) is located but not read.
:mod:`grading.summary.structured_feedback` turns the report into findings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grading.summary import lfs, structured
from grading.summary import locate as _locate

TEXT_FORMATS = ("markdown", "text", "html", "notebook")
IMAGE_REF = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)|<img[^>]*src=[\"']([^\"']+)", re.I)
IMAGE_EXT = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")


@dataclass
class StructuredReport:
    """What the grader read of the structured part of one submission.

    Parameters
    ----------
    file : str or None
        The summary, relative to the submission (None: no summary found).
    format : str or None
        Its format (:data:`grading.summary.locate.FORMATS`).
    seen : StructuredSeen or None
        What its text shows; None when it is missing or not text.
    lfs : dict of str to LfsJudgement
        The committed model files, per kind of the rubric's ``lfs`` table.
    pruned_sizes : dict
        A pruned model's size in bytes per kind (the rubric's ``pruned_sizes``).
    """

    file: str | None = None
    format: str | None = None
    seen: structured.StructuredSeen | None = None
    lfs: dict[str, lfs.LfsJudgement] = field(default_factory=dict)
    pruned_sizes: dict[str, Any] = field(default_factory=dict)

    @property
    def readable(self) -> bool:
        """Whether the summary was found and read as text."""
        return self.seen is not None

    def to_dict(self) -> dict[str, Any]:
        """Return the check's details: the summary file and what it shows."""
        out: dict[str, Any] = {"file": self.file}
        if self.seen is not None:
            out["structured"] = self.seen.to_dict()
        return out


def _images(text: str, folder: Path | None) -> list[str]:
    refs = [" ".join(x for x in m if x) for m in IMAGE_REF.findall(text)]
    if folder is not None and folder.is_dir():
        refs += [
            p.name for p in sorted(folder.rglob("*")) if p.suffix.lower() in IMAGE_EXT
        ][:200]
    return refs


def notebook_text(source: str) -> str:
    """Return the Markdown and printed outputs of a notebook's cells, as text."""
    try:
        cells = json.loads(source).get("cells", [])
    except (ValueError, AttributeError):
        return ""
    parts = []
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict):
            continue
        parts.append(_joined(cell.get("source")))
        for output in cell.get("outputs") or []:
            if isinstance(output, dict):
                parts.append(_joined(output.get("text")))
    return "\n".join(parts)


def _joined(value) -> str:
    return "".join(map(str, value)) if isinstance(value, list) else str(value or "")


def analyze_structured(
    submission: Path, summary_dir: str, rules: dict[str, Any]
) -> StructuredReport:
    """Read the structured part of the summary in ``submission``.

    Parameters
    ----------
    submission : Path
        The student's repository (read only).
    summary_dir : str
        The lab's summary folder, relative to ``submission``.
    rules : dict
        The rubric's ``[summary.structured]`` table.

    Returns
    -------
    StructuredReport
        The LFS judgements always; the text's stages when it could be read.
    """
    report = StructuredReport(pruned_sizes=dict(rules.get("pruned_sizes", {})))
    for key, extensions in rules.get("lfs", {}).items():
        report.lfs[key] = lfs.judge(submission, summary_dir, list(extensions))
    located = _locate.locate(submission, summary_dir)
    report.file, report.format = located.rel, located.format
    if located.path is None or located.format not in TEXT_FORMATS:
        return report
    data, _ = _locate.read_bytes(located.path, int(rules.get("max_bytes", 2_000_000)))
    text, _ = _locate.decode(data)
    if located.format == "notebook":
        text = notebook_text(text)
    report.seen = structured.read(text, _images(text, located.path.parent), rules)
    return report
