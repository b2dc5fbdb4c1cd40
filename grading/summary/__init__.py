"""Read a lab summary as an instructor would.

:func:`analyze` finds the summary of a submission, reads it (Markdown with
markdown-it-py, notebooks as JSON, PDFs with pypdf for evidence only) within
the size and work limits of the rubric, and returns a
:class:`~grading.summary.result.SummaryResult`: the variants found, their
metrics and confusion matrices, the ZIP deflation and compressed size of
each model, the answers to the questions, problems with the file and
plausibility warnings. :func:`~grading.summary.feedback.findings_of` turns
it into findings; its ``to_dict()`` is the JSON described in
``docs/summary-checks.md``. All lab-specific data comes from the
``[summary]`` section of the rubric.

Modules, in reading order: ``locate`` (which file), ``reader`` (bytes to
blocks: ``clean``, ``markdown``, ``htmltext``, ``notebook``, ``pdf``,
``limits``), ``extract`` (blocks to values: ``lines``, ``tables``,
``listings``, ``labels``, ``numbers``, ``variants``, ``found``), ``images``,
``questions``, ``plausibility``, ``analysis`` (the assembly), ``result``
(the types) and ``feedback`` (the findings).
"""

from __future__ import annotations

from grading.summary.analysis import analyze, lab_data
from grading.summary.result import METRIC_KEYS, SummaryResult

__all__ = ["METRIC_KEYS", "SummaryResult", "analyze", "lab_data"]
