"""The student template: a new repository without the instructor's secrets.

It holds what a student needs and nothing the instructor keeps:

- the course package ``dl_in_iot_course/`` with its stubs and lab READMEs,
  ``summaries/README.md`` and the pinned ``requirements.txt``;
- the files of ``grading/private/packaging/student_template/`` at the top
  level (the student workflow ``.github/workflows/grade.yml``,
  ``.gitignore``, a short ``README.md``);
- the public part of the grader (everything under ``grading/`` but
  ``hidden/`` and ``private/``), so that the workflow grades what it can on
  every push;
- a public rubric per lab: the checks fed by hidden tests are removed;
- ``.course/template.json``: the record of the template's files (git blob
  shas) that the history check uses to find where the student's work starts,
  since "use this template" on GitHub re-creates the first commit with a new
  sha.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import grading
from grading.util.paths import REPO_ROOT, STUDENT_TEMPLATE_DIR

from . import guard, repo
from .files import TEMPLATE_EXCLUDES, collect_files, packaging_dir
from .rubrics import TEMPLATE_HEADER, public_rubric, write_rubrics

COURSE_NAME = "Deep learning in IoT"

#: Course files copied as they are (files or directories).
COURSE_PATHS = (
    "dl_in_iot_course",
    "summaries/README.md",
    "requirements.txt",
    # Part 2 of lab 03 (structured pruning): its pins and `import ai_edge_torch`.
    "requirements-structured.txt",
    "ai_edge_torch",
)

#: Course files the template does without when the course lacks them.
OPTIONAL_PATHS = (
    "summaries/README.md",
    "requirements-structured.txt",
    "ai_edge_torch",
)


def template_files(source: Path = REPO_ROOT) -> dict[str, Path]:
    """Map each path of the student template to the file it is copied from.

    Parameters
    ----------
    source : Path
        The instructor repository.

    Returns
    -------
    dict
        ``{"<path in the template>": <source file>}``, without the rubric
        files (written by :func:`public_rubric`) and ``.course/template.json``.
    """
    return collect_files(
        source,
        course_paths=COURSE_PATHS,
        optional=OPTIONAL_PATHS,
        excludes=TEMPLATE_EXCLUDES,
        top_level=packaging_dir(source, STUDENT_TEMPLATE_DIR),
    )


def release(
    out: Path,
    *,
    source: Path = REPO_ROOT,
    force: bool = False,
    course: str = COURSE_NAME,
    template_version: str | None = None,
    released_at: dt.datetime | None = None,
    progress=None,
    avoid: tuple[Path, ...] = (),
) -> dict[str, Any]:
    """Write the student template to ``out`` as a new git repository.

    Parameters
    ----------
    out : Path
        Target folder. It must be absent or empty unless ``force`` is set,
        in which case its content is replaced.
    source : Path
        The instructor repository to release from.
    force : bool
        Replace a non-empty ``out``.
    course : str
        Course name recorded in ``.course/template.json``.
    template_version : str, optional
        Version recorded in the template; the grader version by default.
    released_at : datetime, optional
        Time of the release (and of the initial commit); now by default.
    progress : callable, optional
        Called with one line of text per stage.
    avoid : tuple of Path
        Folders ``out`` must not overlap (the grader bundle's).

    Returns
    -------
    dict
        The ``.course/template.json`` record, plus ``"commit"`` (sha of the
        initial commit) and ``"path"``.

    Raises
    ------
    ReleaseError
        If ``out`` is not empty and ``force`` is not set, or a needed file is
        missing, or a secret line would be released, or git fails.
    """
    say = progress or (lambda _msg: None)
    out = Path(out).resolve()
    source = Path(source).resolve()
    repo.check_out_folder(out, source, [Path(p).resolve() for p in avoid])
    repo.empty_out_folder(out, force)
    released_at = (released_at or dt.datetime.now(dt.UTC)).replace(microsecond=0)

    say(f"release: collecting the student files from {source}")
    repo.copy_files(template_files(source), out)
    write_rubrics(source, out, public_rubric, TEMPLATE_HEADER)
    secrets = {**guard.reference_secrets(source), **guard.hidden_secrets(source)}
    guard.refuse_leaks(out, secrets, "student template")
    record = {
        "course": course,
        "template_version": template_version or grading.__version__,
        "released_at": released_at.isoformat(),
        "source_commit": repo.source_commit(source),
        "files": repo.file_record(out),
    }
    repo.write_record(out, "template.json", record)

    say(f"release: committing {len(record['files']) + 1} files as one initial commit")
    commit = repo.commit_all(
        out,
        released_at,
        f"course: Release the student template {record['template_version']}",
        "Stubs, lab READMEs, the summary guide, the pinned requirements\n"
        "and the workflow that grades every push.",
    )
    say(f"release: student template written to {out} (commit {commit[:10]})")
    return {**record, "commit": commit, "path": str(out)}
