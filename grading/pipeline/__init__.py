"""The grading pipeline: submission -> checks -> findings -> rubric -> results.

Nothing here knows a lab: what a lab is worth is data in ``grading/labs/``.
"""
