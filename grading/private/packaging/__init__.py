"""Release the student template: a new repository without the instructor's secrets.

The student template is a new git repository with one clean initial commit. It
holds what a student needs and nothing the instructor keeps private:

- the course package ``dl_in_iot_course/`` with its stubs and lab READMEs,
  ``summaries/README.md`` and the pinned ``requirements.txt``;
- the files of ``grading/private/packaging/student_template/`` at the top
  level (the student workflow ``.github/workflows/grade.yml``,
  ``.gitignore``, a short ``README.md``);
- the public part of the grader (summary and history checks, the engine, the
  reports), so that the workflow grades what it can on every push;
- a public rubric: the checks fed by hidden tests are removed from it;
- ``.course/template.json``: the record of the template's files (git blob
  shas) that the history check uses to find where the student's work starts,
  since "use this template" on GitHub re-creates the first commit with a new
  sha.

Hidden tests (``grading/hidden/suites/``), reference solutions
(``grading/private/reference/``) and the instructor-only verbs are never copied.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import grading
from grading.util.git import GitError, git_blob_sha, run_git
from grading.util.paths import REPO_ROOT, STUDENT_TEMPLATE_DIR

TEMPLATE_DIR = STUDENT_TEMPLATE_DIR
COURSE_NAME = "Deep learning in IoT"
AUTHOR_NAME = "Course Staff"
AUTHOR_EMAIL = "course-staff@users.noreply.github.com"

#: Folders of the grader that the student template never carries: the hidden
#: part (suites, artifact checks) and the private part (everything under it).
#: What is private is decided by the folder a file lives in, not by a list.
TEMPLATE_EXCLUDES = ("grading/hidden", "grading/private")

#: Course files copied as they are (files or directories).
COURSE_PATHS = ("dl_in_iot_course", "summaries/README.md", "requirements.txt")

#: Course files the template does without when the course lacks them.
OPTIONAL_PATHS = ("summaries/README.md",)

#: Check-id prefixes that belong to the hidden tests; they are removed from
#: the released rubric.
HIDDEN_CHECK_PREFIXES = ("hidden.", "hidden_tests.", "artifact.")

_SKIP_NAMES = {
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".ipynb_checkpoints",
    ".DS_Store",
}
_SKIP_SUFFIXES = (".pyc", ".pyo")


class ReleaseError(RuntimeError):
    """The template could not be released; the message says what to do."""


# ---------------------------------------------------------------------------
# What goes into the template
# ---------------------------------------------------------------------------


def _is_instructor_only(rel: str) -> bool:
    return any(rel == p or rel.startswith(p + "/") for p in TEMPLATE_EXCLUDES)


def _walk(root: Path, base: Path) -> Iterable[tuple[Path, str]]:
    """Yield (path, path relative to base) of the files under root, skipping caches."""
    if root.is_file():
        yield root, root.relative_to(base).as_posix()
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_NAMES)
        for name in sorted(filenames):
            if name in _SKIP_NAMES or name.endswith(_SKIP_SUFFIXES):
                continue
            path = Path(dirpath) / name
            yield path, path.relative_to(base).as_posix()


def _ignored_by_git(source: Path, names: list[str]) -> set[str]:
    """Return the names among ``names`` that the repository's .gitignore excludes."""
    if not (source / ".git").exists() or not names:
        return set()
    try:
        out = subprocess.run(
            ["git", "-C", str(source), "check-ignore", "--no-index", "--stdin", "-z"],
            input="\0".join(names) + "\0",
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return set()
    return {name for name in out.stdout.split("\0") if name}


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
    files: dict[str, Path] = {}
    for rel in COURSE_PATHS:
        path = source / rel
        if not path.exists() and rel in OPTIONAL_PATHS:
            continue
        if not path.exists():
            raise ReleaseError(
                f"{path} is missing; the template needs it. Is {source} the "
                "instructor repository?"
            )
        for file, name in _walk(path, source):
            files[name] = file
    for file, name in _walk(source / "grading", source):
        if _is_instructor_only(name) or name.startswith("grading/labs/"):
            continue
        files[name] = file
    template = source / STUDENT_TEMPLATE_DIR.relative_to(REPO_ROOT)
    if template.is_dir():
        for file, name in _walk(template, template):
            files[name] = file
    rels = [str(p.relative_to(source)) for p in files.values()]
    ignored = _ignored_by_git(source, rels)
    return {
        name: path
        for name, path in files.items()
        if str(path.relative_to(source)) not in ignored
    }


def public_rubric(path: Path) -> dict[str, Any]:
    """Return the rubric of ``path`` with every hidden-test check removed.

    Parameters
    ----------
    path : Path
        A rubric TOML file of ``grading/labs/``.

    Returns
    -------
    dict
        The rubric without the ``[hidden_tests]`` section and without check
        entries whose id starts with one of :data:`HIDDEN_CHECK_PREFIXES`.
        Items keep their points, so the maximum score is unchanged.
    """
    rubric = tomllib.loads(path.read_text(encoding="utf-8"))
    rubric.pop("hidden_tests", None)
    for item in rubric.get("items", []):
        item["checks"] = [
            entry
            for entry in item.get("checks", [])
            if not str(entry.get("check", "")).startswith(HIDDEN_CHECK_PREFIXES)
        ]
    return rubric


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()]
        return "{" + ", ".join(pairs) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key)


def _is_table_array(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) for v in value)
    )


def dumps_toml(data: dict[str, Any], header: str = "") -> str:
    """Write a rubric-shaped dict as TOML (scalars, lists, tables, arrays of tables).

    Parameters
    ----------
    data : dict
        Parsed TOML, e.g. from :func:`public_rubric`.
    header : str
        Comment lines put first.

    Returns
    -------
    str
        TOML text that :mod:`tomllib` reads back to ``data``.
    """
    lines = [header.rstrip("\n")] if header else []

    def emit(table: dict[str, Any], prefix: str) -> None:
        for key, value in table.items():
            if not isinstance(value, dict) and not _is_table_array(value):
                lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
        for key, value in table.items():
            name = f"{prefix}{_toml_key(key)}"
            if isinstance(value, dict):
                lines.extend(["", f"[{name}]"])
                emit(value, name + ".")
            elif _is_table_array(value):
                for entry in value:
                    lines.extend(["", f"[[{name}]]"])
                    emit(entry, name + ".")

    emit(data, "")
    return "\n".join(lines) + "\n"


def _source_commit(source: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    try:
        return run_git(list(args), cwd, env=env, timeout=120)
    except GitError as exc:
        raise ReleaseError(str(exc)) from exc


def release(
    out: Path,
    *,
    source: Path = REPO_ROOT,
    force: bool = False,
    course: str = COURSE_NAME,
    template_version: str | None = None,
    released_at: dt.datetime | None = None,
    progress=None,
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

    Returns
    -------
    dict
        The ``.course/template.json`` record, plus ``"commit"`` (sha of the
        initial commit) and ``"path"``.

    Raises
    ------
    ReleaseError
        If ``out`` is not empty and ``force`` is not set, or a needed file is
        missing, or git fails.
    """
    say = progress or (lambda _msg: None)
    out = Path(out).resolve()
    source = Path(source).resolve()
    protected = [source / p for p in ("grading", *COURSE_PATHS)]
    if out == source or any(out.is_relative_to(p) for p in protected):
        raise ReleaseError(
            f"{out} would overwrite the instructor repository; pick another folder"
        )
    if out.exists() and not out.is_dir():
        raise ReleaseError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise ReleaseError(
                f"{out} is not empty; pass --force to replace its content, "
                "or choose another --out folder"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)

    released_at = released_at or dt.datetime.now(dt.UTC)
    released_at = released_at.replace(microsecond=0)
    say(f"release: collecting the student files from {source}")
    files = template_files(source)
    record_files: dict[str, str] = {}
    for name, src in sorted(files.items()):
        dest = out / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
    header = (
        "# Public rubric of the student template: the checks that need the\n"
        "# instructor's hidden tests are left out; points are unchanged.\n"
    )
    for lab_file in sorted((source / "grading" / "labs").glob("*.toml")):
        rubric = public_rubric(lab_file)
        text = dumps_toml(rubric, header)
        if tomllib.loads(text) != rubric:  # never ship a rubric that reads differently
            raise ReleaseError(f"could not rewrite {lab_file} as a public rubric")
        dest = out / "grading" / "labs" / lab_file.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        if rel.startswith(".git/"):
            continue
        record_files[rel] = git_blob_sha(path.read_bytes())

    record = {
        "course": course,
        "template_version": template_version or grading.__version__,
        "released_at": released_at.isoformat(),
        "source_commit": _source_commit(source),
        "files": record_files,
    }
    course_dir = out / ".course"
    course_dir.mkdir(exist_ok=True)
    (course_dir / "template.json").write_text(
        json.dumps(record, indent=2, sort_keys=False) + "\n", encoding="utf-8"
    )

    say(f"release: committing {len(record_files) + 1} files as one initial commit")
    stamp = released_at.isoformat()
    env = {
        "GIT_AUTHOR_NAME": AUTHOR_NAME,
        "GIT_AUTHOR_EMAIL": AUTHOR_EMAIL,
        "GIT_COMMITTER_NAME": AUTHOR_NAME,
        "GIT_COMMITTER_EMAIL": AUTHOR_EMAIL,
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_DATE": stamp,
    }
    _git(out, "init", "--quiet", "--initial-branch=main")
    _git(out, "add", "--all", "--force")
    _git(
        out,
        "commit",
        "--quiet",
        "--no-verify",
        "-m",
        f"course: Release the student template {record['template_version']}",
        "-m",
        "Stubs, lab READMEs, the summary guide, the pinned requirements\n"
        "and the workflow that grades every push.",
        env=env,
    )
    commit = _git(out, "rev-parse", "HEAD").strip()
    say(f"release: student template written to {out} (commit {commit[:10]})")
    return {**record, "commit": commit, "path": str(out)}
