"""What the summary reader found, as typed results.

:func:`grading.summary.analyze` returns a :class:`SummaryResult`. Its
:meth:`SummaryResult.to_dict` is the summary JSON of ``docs/summary-checks.md``,
stored as ``checks.summary.details`` in ``results.json`` and printed by
``python -m grading summary --json``. The values are the parsed numbers
(metrics as fractions, deflation in percent, sizes in bytes, times in ms),
so that later readers (per-question assessors) need no parsing of their own:
``result.metrics["clustered-2-fp32"].accuracy``,
``result.deflation["pruned-0.5-fp32"].size_bytes``,
``result.questions["q2"].excerpt``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The five metrics every variant should report, in the order shown.
METRIC_KEYS = ("accuracy", "precision", "sensitivity", "g_mean", "inference_ms")
#: Metrics read when given, never required.
EXTRA_KEYS = ("top5", "samples")


@dataclass
class Metrics:
    """The metrics of one variant (``None``: not given).

    ``written_missing`` maps a metric to the word the student wrote instead
    of a value (``"brak"``, ``"n/a"``, ``"nan"``); such a metric is ``None``.
    """

    accuracy: float | None = None
    precision: float | None = None
    sensitivity: float | None = None
    g_mean: float | None = None
    inference_ms: float | None = None
    top5: float | None = None
    samples: float | None = None
    written_missing: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> float | None:
        """Return the metric ``key`` (one of :data:`METRIC_KEYS` or extras)."""
        return getattr(self, key, None)

    def lacking(self) -> list[str]:
        """Return the required metrics that have no value."""
        return [k for k in METRIC_KEYS if self.get(k) is None]

    @property
    def complete(self) -> bool:
        """True when all five required metrics have a value."""
        return not self.lacking()

    def to_dict(self) -> dict[str, Any]:
        """Return ``{metric: value}``: the five always, extras and
        ``missing`` only when present."""
        out: dict[str, Any] = {k: self.get(k) for k in METRIC_KEYS}
        for key in EXTRA_KEYS:
            if self.get(key) is not None:
                out[key] = self.get(key)
        if self.written_missing:
            out["missing"] = dict(self.written_missing)
        return out


@dataclass
class Deflation:
    """ZIP deflation (percent) and compressed size (bytes) of one model."""

    percent: float | None = None
    size_bytes: int | None = None

    @property
    def complete(self) -> bool:
        """True when both the percentage and the size are given."""
        return self.percent is not None and self.size_bytes is not None

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"percent", "size_bytes"}``."""
        return {"percent": self.percent, "size_bytes": self.size_bytes}


@dataclass
class ImageCheck:
    """One image reference resolved against the repository.

    ``problem`` is a key of :data:`grading.summary.images.PROBLEMS` or None;
    ``path`` is relative to the repository root; ``actual`` is the file with
    other letter case (``wrong_case`` only).
    """

    ref: str
    exists: bool = False
    problem: str | None = None
    path: str | None = None
    message: str = ""
    actual: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the image entry of the summary JSON."""
        out: dict[str, Any] = {
            "ref": self.ref,
            "exists": self.exists,
            "problem": self.problem,
            "path": self.path,
            "message": self.message,
        }
        if self.actual is not None:
            out["actual"] = self.actual
        out["line"] = self.line
        return out


@dataclass
class Answer:
    """Where the answer to one question is (``found`` False: nowhere)."""

    found: bool = False
    heading: str | None = None
    excerpt: str = ""
    words: int = 0
    line: int | None = None
    short: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the answer entry; ``short`` only for a found answer."""
        out: dict[str, Any] = {
            "found": self.found,
            "heading": self.heading,
            "excerpt": self.excerpt,
            "words": self.words,
            "line": self.line,
        }
        if self.found:
            out["short"] = self.short
        return out


@dataclass
class Problem:
    """Something wrong with the summary file (``code`` is stable)."""

    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"code", "message"}``."""
        return {"code": self.code, "message": self.message}


@dataclass
class SummaryWarning:
    """A plausibility warning for the instructor (never deducted).

    ``check`` is the summary check the warning concerns
    (``summary.metrics``, ``summary.deflation``); ``item`` is the rubric item
    that check feeds, looked up in the rubric.
    """

    code: str
    message: str
    check: str = ""
    item: str = ""
    variant: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"code", "message", "item", "variant"}``."""
        return {
            "code": self.code,
            "message": self.message,
            "item": self.item,
            "variant": self.variant,
        }


@dataclass
class Baseline:
    """What the summary says about the uncompressed baseline model."""

    metrics: Metrics | None = None
    original_sizes: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return ``{}`` or the parts that were given."""
        out: dict[str, Any] = {}
        if self.metrics is not None:
            out["metrics"] = self.metrics.to_dict()
        if self.original_sizes:
            out["original_sizes"] = dict(self.original_sizes)
        return out


@dataclass
class SummaryResult:
    """Everything read from one summary.

    Parameters
    ----------
    file : str or None
        The summary, relative to the repository root (None: none found).
    format : str
        ``markdown``, ``notebook``, ``text``, ``html``, ``pdf``, ``image``,
        ``document``, ``unknown`` or ``none``.
    candidates : list of str
        Every file that could be the summary, best first.
    encoding : str or None
        How the text was decoded.
    manual_review : str or None
        Why a person must read the summary, or None.
    variants_expected, variants_found : list of str
        Canonical variant names of the lab, and those the summary covers.
    metrics : dict of str to Metrics
    confusion_matrices : dict of str to ImageCheck
    deflation : dict of str to Deflation
        Per variant (the baseline's deflation is kept here too).
    baseline : Baseline
    questions : dict of str to Answer
        Per question id of the rubric.
    problems : list of Problem
    warnings : list of SummaryWarning
    pages : int or None
        Page count of a PDF summary.
    facts : dict of str to Fact
        Per ``[[summary.facts]]`` id of the rubric (``grading/summary/facts.py``).
    steps : int
        Parser steps the reading took (of ``max_parse_steps``); not in the
        JSON, for benchmarks and tests.
    """

    file: str | None = None
    format: str = "none"
    candidates: list[str] = field(default_factory=list)
    encoding: str | None = None
    manual_review: str | None = None
    variants_expected: list[str] = field(default_factory=list)
    variants_found: list[str] = field(default_factory=list)
    metrics: dict[str, Metrics] = field(default_factory=dict)
    confusion_matrices: dict[str, ImageCheck] = field(default_factory=dict)
    deflation: dict[str, Deflation] = field(default_factory=dict)
    baseline: Baseline = field(default_factory=Baseline)
    questions: dict[str, Answer] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[SummaryWarning] = field(default_factory=list)
    pages: int | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    steps: int = 0

    def problem(self, code: str, message: str) -> None:
        """Record a problem with the file."""
        self.problems.append(Problem(code, message))

    def has_problem(self, *codes: str) -> bool:
        """True when one of ``codes`` was recorded."""
        return any(p.code in codes for p in self.problems)

    def to_dict(self) -> dict[str, Any]:
        """Return the summary JSON (the keys of ``docs/summary-checks.md``)."""
        out: dict[str, Any] = {
            "file": self.file,
            "format": self.format,
            "candidates": list(self.candidates),
            "encoding": self.encoding,
            "manual_review": self.manual_review,
            "variants_expected": list(self.variants_expected),
            "variants_found": list(self.variants_found),
            "metrics": {v: m.to_dict() for v, m in self.metrics.items()},
            "confusion_matrices": {
                v: c.to_dict() for v, c in self.confusion_matrices.items()
            },
            "deflation": {v: d.to_dict() for v, d in self.deflation.items()},
            "baseline": self.baseline.to_dict(),
            "questions": {q: a.to_dict() for q, a in self.questions.items()},
            "problems": [p.to_dict() for p in self.problems],
            "warnings": [w.to_dict() for w in self.warnings],
        }
        if self.pages is not None:
            out["pages"] = self.pages
        if self.facts:
            out["facts"] = {k: f.to_dict() for k, f in self.facts.items()}
        return out
