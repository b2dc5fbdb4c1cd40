"""Release the student template: a new repository without the instructor's secrets.

The folder a file lives in decides whether it is released (:mod:`.files`):
the student template (:mod:`.template`) gets the course package, the public
part of the grader, public rubrics (:mod:`.rubrics`) and the student
workflow; nothing under ``grading/hidden/`` or ``grading/private/``
(reference solutions, batch grading, Slurm, the demo, this package).
"""

from __future__ import annotations

from .files import TEMPLATE_EXCLUDES, ReleaseError
from .repo import AUTHOR_EMAIL, AUTHOR_NAME, git_blob_sha
from .rubrics import HIDDEN_CHECK_PREFIXES, public_rubric
from .template import COURSE_NAME, COURSE_PATHS, release, template_files
from .toml_writer import dumps_toml

__all__ = [
    "AUTHOR_EMAIL",
    "AUTHOR_NAME",
    "COURSE_NAME",
    "COURSE_PATHS",
    "HIDDEN_CHECK_PREFIXES",
    "TEMPLATE_EXCLUDES",
    "ReleaseError",
    "dumps_toml",
    "git_blob_sha",
    "public_rubric",
    "release",
    "template_files",
]
