"""Read the structured-pruning part of a lab summary (data: ``[summary.structured]``).

What is looked for, in English or Polish, with every word list in the rubric:

- three stages, by the phrases that name them (``before`` pruning,
  ``pruned`` before fine-tuning, ``fine_tuned``): a line with a stage phrase
  starts that stage's passage (a heading, a label or a table row), which
  runs to the next stage phrase;
- in each passage an accuracy (a number with ``%`` or beside an accuracy
  word, or in an accuracy column of a table) and an inference time (a
  number with ``ms``/``s`` or beside a time word, or in a time column);
- the model's shape before and after pruning, by tokens of the printed
  model (``Conv2d(1, 8``, ``15488`` against ``Conv2d(1, 4``, ``7744``);
- the pruning logs (``remain/total`` lines of ``show_pruned_weights``);
- a Netron picture: an image whose file name or alt text names Netron or a
  graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

NUMBER = r"(\d+(?:[.,]\d+)?)"
STAGES = ("fine_tuned", "pruned", "before")


@dataclass
class Stage:
    """What one stage's passage shows (text found, or None).

    Parameters
    ----------
    accuracy, time : str or None
        The accuracy and inference time found in the passage.
    lines : int
        The passage's length in lines.
    shape : str or None
        The model-shape token found (stages that ask for a shape).
    shaped : bool
        Whether the stage asks for the model's shape (before, pruned).
    """

    accuracy: str | None = None
    time: str | None = None
    lines: int = 0
    shape: str | None = None
    shaped: bool = False

    def keys(self) -> list[str]:
        """The metrics this stage asks for, in the order they are reported."""
        return ["shape", "accuracy", "time"] if self.shaped else ["accuracy", "time"]

    def get(self, key: str) -> str | None:
        """The text found for ``key`` (``shape``, ``accuracy`` or ``time``)."""
        return getattr(self, key) if key in self.keys() else None

    def to_dict(self) -> dict[str, Any]:
        """Return the stage as plain data (``shape`` only when it asks one)."""
        out: dict[str, Any] = {
            "accuracy": self.accuracy,
            "time": self.time,
            "lines": self.lines,
        }
        if self.shaped:
            out["shape"] = self.shape
        return out


@dataclass
class StructuredSeen:
    """What a summary shows of the structured part (:func:`read`).

    Parameters
    ----------
    before, pruned, fine_tuned : Stage
        The three stages.
    logs : int
        Lines of ``show_pruned_weights`` output found.
    netron : list of str
        Image references named or captioned as a Netron graph.
    """

    before: Stage = field(default_factory=lambda: Stage(shaped=True))
    pruned: Stage = field(default_factory=lambda: Stage(shaped=True))
    fine_tuned: Stage = field(default_factory=Stage)
    logs: int = 0
    netron: list[str] = field(default_factory=list)

    def stage(self, name: str) -> Stage:
        """The stage called ``name`` (one of :data:`STAGES`)."""
        return getattr(self, name)

    def to_dict(self) -> dict[str, Any]:
        """Return what was seen as plain JSON data."""
        out: dict[str, Any] = {s: self.stage(s).to_dict() for s in STAGES}
        out["logs"] = self.logs
        out["netron"] = list(self.netron)
        return out


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower())


def _stage_of(line: str, words: dict[str, list[str]]) -> str | None:
    low = _norm(line)
    for stage in STAGES:
        if any(w in low for w in words.get(stage, [])):
            return stage
    return None


def _has(low: str, words: list[str]) -> bool:
    return any(w in low for w in words)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def passages(text: str, rules: dict[str, Any]) -> dict[str, list[str]]:
    """Return the lines of each stage's passage (table rows keep their header)."""
    words = rules.get("stage_words", {})
    out: dict[str, list[str]] = {s: [] for s in STAGES}
    stage = None
    header: list[str] | None = None
    for line in text.splitlines():
        is_row = line.strip().startswith("|")
        if not is_row:
            header = None
        found = _stage_of(line, words)
        if is_row and header is None and found is None:
            header = _cells(line)
            continue
        if found is not None:
            stage = found
        if stage is not None:
            out[stage].append(line)
            if is_row and header:
                out[stage].append(
                    "\t".join(
                        f"{h}: {c}" for h, c in zip(header, _cells(line), strict=False)
                    )
                )
    return out


def _metric(lines: list[str], label_words: list[str], unit: str) -> str | None:
    for line in lines:
        low = _norm(line)
        for piece in low.split("\t"):
            if unit and re.search(NUMBER + r"\s*" + unit, piece):
                return re.search(NUMBER + r"\s*" + unit, piece).group(0)
            if _has(piece, label_words):
                match = re.search(
                    NUMBER, piece.split(":", 1)[-1] if "\t" in low else piece
                )
                if match:
                    return match.group(0)
    return None


def read(text: str, images: list[str], rules: dict[str, Any]) -> StructuredSeen:
    """Return what the summary shows of the structured part.

    Parameters
    ----------
    text : str
        The summary as text.
    images : list of str
        Image references of the summary and image files in its folder (with
        alt texts where known).
    rules : dict
        The rubric's ``[summary.structured]`` table.

    Returns
    -------
    StructuredSeen
        Each stage's accuracy, time and (before and pruned) shape as the text
        found or None, the number of log lines and the Netron pictures.
    """
    parts = passages(text, rules)
    low = _norm(text)
    acc_words = rules.get("accuracy_words", [])
    time_words = rules.get("time_words", [])
    seen = StructuredSeen()
    for stage in STAGES:
        lines = parts[stage]
        found = seen.stage(stage)
        found.accuracy = _metric(lines, acc_words, "%")
        found.time = _metric(lines, time_words, r"(?:ms|milli|s\b)")
        found.lines = len(lines)
    for stage, key in (("before", "shape_before"), ("pruned", "shape_pruned")):
        tokens = [_norm(t) for t in rules.get(key, [])]
        seen.stage(stage).shape = next((t for t in tokens if t in low), None)
    seen.logs = sum(low.count(_norm(p)) for p in rules.get("log_patterns", []))
    netron = [_norm(w) for w in rules.get("netron_words", [])]
    seen.netron = [ref for ref in images if any(w in _norm(ref) for w in netron)]
    return seen
