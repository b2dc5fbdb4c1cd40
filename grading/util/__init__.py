"""Helpers shared by every part of the grader, one module per job."""
