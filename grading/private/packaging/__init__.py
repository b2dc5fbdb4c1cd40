"""Release the course: the student template and the grader bundle.

Two repositories leave the instructor repository, and the folder a file lives
in decides which one gets it (:mod:`.files`):

- the **student template** (:mod:`.template`): the course package, the
  public part of the grader, public rubrics, the student workflow; a new
  repository with one commit, marked as a template on GitHub;
- the **grader bundle** (:mod:`.bundle`): the public and the hidden part of
  the grader (every lab's hidden suites, the artifact checks), the course
  package and the full rubrics; its own repository, pushed to a private
  repository that the student workflow reads with one read-only token.

Nothing under ``grading/private/`` (reference solutions, batch grading,
Slurm, the demo, this package) is released, and :mod:`.guard` refuses a
release that holds a line of a reference solution (or, for the template, of
a hidden suite). Rubrics are rewritten, never copied (:mod:`.rubrics`).
"""

from __future__ import annotations

from .bundle import BUNDLE_RECORD, bundle_files, is_bundle, release_bundle
from .files import BUNDLE_EXCLUDES, TEMPLATE_EXCLUDES, ReleaseError
from .repo import AUTHOR_EMAIL, AUTHOR_NAME, git_blob_sha
from .rubrics import HIDDEN_CHECK_PREFIXES, bundle_rubric, public_rubric
from .template import COURSE_NAME, COURSE_PATHS, release, template_files
from .toml_writer import dumps_toml

__all__ = [
    "AUTHOR_EMAIL",
    "AUTHOR_NAME",
    "BUNDLE_EXCLUDES",
    "BUNDLE_RECORD",
    "COURSE_NAME",
    "COURSE_PATHS",
    "HIDDEN_CHECK_PREFIXES",
    "TEMPLATE_EXCLUDES",
    "ReleaseError",
    "bundle_files",
    "bundle_rubric",
    "dumps_toml",
    "git_blob_sha",
    "is_bundle",
    "public_rubric",
    "release",
    "release_bundle",
    "template_files",
]
