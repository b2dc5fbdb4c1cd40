"""Reports of the grader: per-submission score reports, manual review, gradebook.

Public API
----------
render_submission(results, out_dir)
    Write ``report.html`` and ``report.md`` (student view) and
    ``report-instructor.html`` (instructor view) for one ``results.json``.
write_gradebook(grades_dir)
    Write ``gradebook.csv`` and the class overview ``index.html`` for a folder
    of graded submissions (``<grades_dir>/<student>/results.json``).
apply_overrides(grades_dir, overrides_file)
    Merge a reviewer's decisions (TOML or CSV) into every ``results.json``,
    recompute totals, and re-render every report and the gradebook.
"""

from grading.report.gradebook import write_gradebook
from grading.report.overrides import OverrideError, apply_overrides, load_decisions
from grading.report.render import render_reports, render_submission

__all__ = [
    "OverrideError",
    "apply_overrides",
    "load_decisions",
    "render_reports",
    "render_submission",
    "write_gradebook",
]
