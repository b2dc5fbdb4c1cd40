"""What never leaves the instructor: reference solutions, batch grading of a
class (local or Slurm), the demo, and the release of the student template and
the grader bundle. Nothing under this folder is released.
"""
