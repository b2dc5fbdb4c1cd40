"""Where the grader's own files are: one place, so no module guesses.

The grader is a folder ``grading/`` inside the instructor repository (or
inside the student template and the grader bundle, which hold parts of it).
Its three parts are folders, and what is released follows them:

- public: everything under ``grading/`` but ``hidden/`` and ``private/``
  (the student template carries it);
- ``grading/hidden/``: the hidden suites and the artifact checks (the grader
  bundle carries them, with the public part);
- ``grading/private/``: what never leaves the instructor (reference
  solutions, batch grading, Slurm, the demo, releasing).
"""

from __future__ import annotations

from pathlib import Path

#: The ``grading`` package folder.
GRADING_DIR = Path(__file__).resolve().parents[1]
#: The repository that holds the grader and the course package.
REPO_ROOT = GRADING_DIR.parent
#: Rubric files, one per lab.
LABS_DIR = GRADING_DIR / "labs"
#: The hidden part: suites and artifact checks.
HIDDEN_DIR = GRADING_DIR / "hidden"
#: One folder of hidden pytest modules per lab, plus the recorder plugin.
SUITES_DIR = HIDDEN_DIR / "suites"
#: The private part: never released.
PRIVATE_DIR = GRADING_DIR / "private"
#: Reference solutions of the labs.
REFERENCE_DIR = PRIVATE_DIR / "reference"
#: Files copied to the top of the student template (workflow, README).
STUDENT_TEMPLATE_DIR = PRIVATE_DIR / "packaging" / "student_template"
#: The pinned runtime requirements.
REQUIREMENTS = REPO_ROOT / "requirements.txt"
