"""Instructor-only verbs of ``python -m grading`` (see :mod:`grading.commands`)."""
