"""Checks: each module turns a submission into plain findings.

A check module defines ``NAME`` (the id the rubric's ``checks`` list uses) and
``run(ctx: CheckContext) -> CheckResult``. It never scores and never renders;
it may read ``ctx.rubric`` for lab data (file paths, the history rule) and
``ctx.options`` for the run's options, and must never write inside
``ctx.submission``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grading.pipeline.findings import Finding
from grading.pipeline.options import GradeOptions
from grading.pipeline.rubric import Rubric


@dataclass
class CheckContext:
    """What a check gets to look at.

    Parameters
    ----------
    submission : Path
        The student's repository. Read only: checks copy before they run code.
    workdir : Path
        Scratch folder of this grading run, outside the submission; each check
        uses ``workdir / NAME``.
    lab : str
        Lab id, e.g. ``"l03_pruning_clustering"``.
    rubric : Rubric
        The lab's rubric (:func:`grading.pipeline.rubric.load_rubric`).
    options : GradeOptions
        The run's options (history base, time limits, ...).
    template : Identification, optional
        The template version the submission started from
        (:class:`grading.versions.identify.Identification`); the engine sets
        it before the checks run, and
        :func:`grading.versions.identify.identify_for` makes it when a check
        runs on its own.
    """

    submission: Path
    workdir: Path
    lab: str
    rubric: Rubric
    options: GradeOptions = field(default_factory=GradeOptions)
    template: Any = None


@dataclass
class CheckResult:
    """Findings of one check, plus structured details for reports.

    Parameters
    ----------
    findings : list of Finding
        What the check observed.
    details : dict
        JSON-serialisable extras (the parsed summary, the commit list).
    seconds : float
        Wall time the check took.
    """

    findings: list[Finding] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
