"""The hidden part of the grader: the hidden suites and the artifact checks.

The grader bundle that the student workflow checks out carries this folder
with the public part; the student template never does. The
``hidden_tests`` check (:mod:`grading.checks.hidden_tests`) is a thin adapter
over :mod:`grading.hidden.runner`.
"""
