"""Git history checks: which commits are the student's, and how good they are.

- :mod:`grading.history.gitdata` reads the history with batched git calls;
- :mod:`grading.history.base` decides where the template ends;
- :mod:`grading.history.rules` checks messages, shape, authors and junk;
- :mod:`grading.history.scoring` applies the rule of the lab's rubric;
- :mod:`grading.history.analyze` ties them into one JSON report;
- :mod:`grading.history.findings` turns the report into findings.
"""

from grading.history.analyze import HistoryConfigError, analyze, load_config

__all__ = ["HistoryConfigError", "analyze", "load_config"]
