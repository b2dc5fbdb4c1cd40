"""Git history checks: which commits are the student's, and how good they are.

- :mod:`grading.history.gitdata` reads the history with batched, bounded git calls;
- :mod:`grading.history.config` checks the rubric's ``[history]`` section;
- :mod:`grading.history.course` knows the original course's commits and versions;
- :mod:`grading.history.base` decides where the template ends and whose
  convention applies;
- :mod:`grading.history.messages`, :mod:`grading.history.rules` and
  :mod:`grading.history.junk` check messages, shape, authors and files;
- :mod:`grading.history.scoring` applies the rule of the lab's rubric;
- :mod:`grading.history.analyze` ties them into one
  :class:`grading.history.report.HistoryReport`;
- :mod:`grading.history.feedback` turns the report into findings.
"""

from grading.history.analyze import analyze
from grading.history.config import HistoryConfigError, load_config
from grading.history.report import HistoryReport

__all__ = ["HistoryConfigError", "HistoryReport", "analyze", "load_config"]
