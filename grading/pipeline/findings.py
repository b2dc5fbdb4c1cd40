"""Findings: the plain data that every check produces.

A check never scores and never renders. It returns a list of
:class:`Finding` objects; the rubric (``grading/labs/<lab>.toml``) decides what
they are worth and the templates decide how they look.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

Audience = Literal["student", "instructor"]


@dataclass
class Finding:
    """One observation of a check about a submission.

    Parameters
    ----------
    check : str
        Stable id of what was checked, dotted by area, e.g.
        ``"hidden.clustered_model.unique_values"`` or
        ``"history.message_convention"``. Rubric items name these ids.
    item : str
        Id of the rubric item the finding feeds (``"clustered_model"``), or
        ``""`` for findings that feed no item (informational).
    passed : bool or None
        ``True``/``False`` for a decided check; ``None`` when a person must
        decide (manual review) or the finding is informational.
    message : str
        What was expected and what was seen, in words a student can act on.
    hint : str
        What to do about it (which README task to reread, which command).
    evidence : str
        Excerpt backing the message: code, summary passage, commit, paths.
    score : float or None
        Fraction of the check's weight earned, in ``[0, 1]``. ``None`` means
        ``1.0`` if ``passed`` else ``0.0``. Checks with partial credit (the
        history rule) set it explicitly.
    code : str
        Machine-readable reason (``"not_implemented"``, ``"unstripped"``,
        ``"timeout"``), stable across versions, for statistics and tests.
    audience : {"student", "instructor"}
        ``"instructor"`` findings (plausibility warnings, protected-file
        edits, raw logs) are left out of the student view of reports.
    data : dict
        Structured extras for reports and tests (numbers, paths). Must be
        JSON-serialisable.
    """

    check: str
    item: str
    passed: bool | None
    message: str
    hint: str = ""
    evidence: str = ""
    score: float | None = None
    code: str = ""
    audience: Audience = "student"
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def earned(self) -> float | None:
        """Fraction of the weight earned, or ``None`` if undecided."""
        if self.score is not None:
            return max(0.0, min(1.0, float(self.score)))
        if self.passed is None:
            return None
        return 1.0 if self.passed else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as a JSON-serialisable dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """Build a finding from :meth:`to_dict` output, ignoring unknown keys."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})
