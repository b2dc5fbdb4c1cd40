"""Autograder for the lab submissions of the IoT model-compression course.

The grader is a pipeline: checks turn a submission into plain findings, the
lab's rubric (``grading/labs/<lab>.toml``) turns findings into a score, and
templates turn the score into reports.
"""

__version__ = "0.1.0"
