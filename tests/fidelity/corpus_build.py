"""Build the grading-accuracy corpus as git repositories, and grade it.

A submission of the corpus (``corpus.py``) is a template version plus the
student's commits. Each commit applies edits, in the student's own words,
to the files of that version:

- a fork of the original course is a local clone of its mirror checked out
  at the version commit (a history that holds the course's commits cannot
  be rebuilt under the same commit ids, so the mirror provides them);
  ``COURSE_MIRROR`` or ``/work/.mirror/antmicro+dl-in-iot-course/repo``;
- a submission of our own template is a clone of the template that
  ``grading.private.packaging.release`` writes.

The edits change the version's experiment module the way a student does:
methods are put in (replacing a stub or added where the template left a
TODO comment), a base class is changed, the commented-out calls of the
main block are uncommented; the template's own functions stay as they are.
No text of the original course is stored here: the files come from the
mirror at build time.

``bench/bench_fidelity.py`` and ``tests/fidelity/test_corpus.py`` share this
module.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LAB = "l03_pruning_clustering"
MODULE = "dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py"
L02_MODULE = "dl_in_iot_course/l02_quantization/quantization_experiments.py"
SUMMARY_DIR = "summaries/l03_pruning_clustering"
MIRROR = Path(
    os.environ.get("COURSE_MIRROR", "/work/.mirror/antmicro+dl-in-iot-course/repo")
)
#: The hidden tests' data set and tiny model, shared with tests/hidden.
CACHE = Path(tempfile.gettempdir()) / "dl-in-iot-hidden-tests-cache"
#: Automatic items of the lab-03 rubric and their points.
AUTO_ITEMS = {
    "tfmot_optimized_model": 2.0,
    "clustered_model": 4.0,
    "pruned_model": 4.0,
    "deflation": 2.0,
    "git_history": 2.0,
}
TOLERANCE = 0.25
#: The issue's Done-when bound: the mean over submissions of
#: |sum expected - sum got| on the automatic points.
MEAN_TOLERANCE = 0.25
#: A tiny valid PNG (one white pixel), for committed confusion matrices.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753"
    "de0000000c4944415408d763f8ffff3f0005fe02fea7d6a00000000049454e44ae426082"
)


def mirror_available() -> bool:
    """True when the mirror of the original course is on this machine."""
    return (MIRROR / "HEAD").exists() or (MIRROR / ".git").exists()


#: Why a fork cannot be built without the mirror, and how to run it.
NO_MIRROR = (
    "no mirror of the original course at {mirror}: a fork must carry the "
    "course's own commits, and CI cannot reach GitHub to clone them. To run "
    "the forks, clone https://github.com/antmicro/dl-in-iot-course (git clone "
    "--mirror is enough) and set COURSE_MIRROR to that path, or put it at "
    "/work/.mirror/antmicro+dl-in-iot-course/repo"
)


def need_mirror(sub) -> None:
    """Skip a fork's test when the mirror of the original course is absent."""
    import pytest

    if sub.is_fork and not mirror_available():
        pytest.skip(NO_MIRROR.format(mirror=MIRROR))


# --------------------------------------------------------------------- edits


@dataclass(frozen=True)
class Method:
    """Put the methods of ``source`` into class ``cls`` of ``path``.

    Each one replaces the method of that name, or is added at the end of the
    class when the template has none (a TODO comment in its place).
    """

    path: str
    cls: str
    source: str


@dataclass(frozen=True)
class Drop:
    """Delete the methods ``names`` of class ``cls`` of ``path``."""

    path: str
    cls: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Base:
    """Make ``cls`` of ``path`` derive from ``base`` instead."""

    path: str
    cls: str
    base: str


@dataclass(frozen=True)
class Import:
    """Add an import line after the last top-level import of ``path``."""

    path: str
    line: str


@dataclass(frozen=True)
class Uncomment:
    """Uncomment the commented-out code of the ``__main__`` block of ``path``."""

    path: str


@dataclass(frozen=True)
class Replace:
    """Replace the one occurrence of ``old`` in ``path`` by ``new``."""

    path: str
    old: str
    new: str


@dataclass(frozen=True)
class Write:
    """Write ``content`` (text or bytes) to ``path``."""

    path: str
    content: str | bytes


@dataclass(frozen=True)
class Delete:
    """Remove ``path``."""

    path: str


Edit = Method | Drop | Base | Import | Uncomment | Replace | Write | Delete


@dataclass(frozen=True)
class Commit:
    """One commit of the student: a message, an author, a day, the edits."""

    subject: str
    edits: tuple[Edit, ...]
    body: str = ""
    day: int = 1
    author: str = "Ala Nowak <ala.nowak@student.example.edu>"


@dataclass(frozen=True)
class Submission:
    """A corpus entry: a version, the commits, and the instructor's points.

    ``expected`` maps every automatic item to ``(points, reason)``: the reason
    names each deduction (empty for full points). ``manual`` does the same
    for the items a person grades (not compared, kept for the record).
    ``codes`` are finding codes the feedback must contain (the hint the
    student needs).
    """

    name: str
    version: str
    commit: str
    commits: tuple[Commit, ...]
    expected: dict[str, tuple[float, str]]
    manual: dict[str, tuple[float, str]] = field(default_factory=dict)
    note: str = ""
    codes: tuple[str, ...] = ()
    #: Graded as ``grade`` is run by hand: no lab given (detected) and no base.
    detect_lab: bool = False

    @property
    def is_fork(self) -> bool:
        return self.version != "ours"


def _dedent(source: str) -> str:
    return textwrap.dedent(source).strip("\n") + "\n"


def _class(tree: ast.Module, name: str) -> ast.ClassDef:
    return next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name)


def _span(node: ast.AST) -> tuple[int, int]:
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return first, node.end_lineno


def _put_methods(text: str, cls_name: str, source: str) -> str:
    """Replace or add each method of ``source`` in class ``cls_name``."""
    source = _dedent(source)
    for node in ast.parse(source).body:
        first, last = _span(node)
        one = "".join(source.splitlines(keepends=True)[first - 1 : last])
        tree = ast.parse(text)
        cls = _class(tree, cls_name)
        lines = text.splitlines(keepends=True)
        body = textwrap.indent(one, " " * (cls.col_offset + 4))
        method = next(
            (
                m
                for m in cls.body
                if isinstance(m, ast.FunctionDef) and m.name == node.name
            ),
            None,
        )
        if method is not None:
            start, end = _span(method)
            lines[start - 1 : end] = [body]
        else:
            lines[cls.end_lineno : cls.end_lineno] = ["\n", body]
        text = "".join(lines)
    return text


def _drop_methods(text: str, cls_name: str, names: tuple[str, ...]) -> str:
    for name in names:
        tree = ast.parse(text)
        cls = _class(tree, cls_name)
        method = next(m for m in cls.body if getattr(m, "name", None) == name)
        start, end = _span(method)
        lines = text.splitlines(keepends=True)
        del lines[start - 1 : end]
        text = "".join(lines)
    return text


def _set_base(text: str, cls: str, base: str) -> str:
    pattern = re.compile(rf"^class {cls}\([^)]*\):", re.M)
    assert pattern.search(text), f"no class {cls}"
    return pattern.sub(f"class {cls}({base}):", text, count=1)


def _add_import(text: str, line: str) -> str:
    tree = ast.parse(text)
    last = max(
        (n.end_lineno for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)),
        default=0,
    )
    lines = text.splitlines(keepends=True)
    lines[last:last] = [line.rstrip("\n") + "\n"]
    return "".join(lines)


def _uncomment_main(text: str) -> str:
    lines = text.splitlines(keepends=True)
    start = next(i for i, x in enumerate(lines) if x.startswith("if __name__"))
    out = lines[: start + 1]
    for line in lines[start + 1 :]:
        match = re.match(r"^(\s*)# ?(.*)$", line.rstrip("\n"))
        if match and "TODO" in match.group(2):
            continue
        out.append(f"{match.group(1)}{match.group(2)}\n" if match else line)
    return "".join(out)


def apply(root: Path, edit: Edit) -> None:
    """Apply one edit in the repository folder ``root``."""
    path = root / edit.path
    if isinstance(edit, Write):
        path.parent.mkdir(parents=True, exist_ok=True)
        data = edit.content
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
        return
    if isinstance(edit, Delete):
        path.unlink()
        return
    text = path.read_text(encoding="utf-8")
    if isinstance(edit, Method):
        text = _put_methods(text, edit.cls, edit.source)
    elif isinstance(edit, Drop):
        text = _drop_methods(text, edit.cls, edit.names)
    elif isinstance(edit, Base):
        text = _set_base(text, edit.cls, edit.base)
    elif isinstance(edit, Import):
        text = _add_import(text, edit.line)
    elif isinstance(edit, Uncomment):
        text = _uncomment_main(text)
    elif isinstance(edit, Replace):
        assert text.count(edit.old) == 1, f"{edit.path}: {edit.old!r}"
        text = text.replace(edit.old, edit.new)
    path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------- git


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in ``cwd`` (no hooks, no signing) and return its output."""
    out = subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout.strip()


def _commit(root: Path, commit: Commit, index: int) -> None:
    for edit in commit.edits:
        apply(root, edit)
    name, _, email = commit.author.partition(" <")
    stamp = f"2026-03-{min(commit.day, 28):02d}T{10 + index % 10:02d}:00:00+01:00"
    env = {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email.rstrip(">"),
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email.rstrip(">"),
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_DATE": stamp,
    }
    git(root, "add", "-A")
    message = commit.subject + (f"\n\n{commit.body}" if commit.body else "")
    git(root, "commit", "-q", "--allow-empty", "-m", message, env=env)


def build(sub: Submission, dest: Path, template: Path | None = None) -> Path:
    """Make the git repository of ``sub`` at ``dest``.

    Parameters
    ----------
    sub : Submission
        The corpus entry.
    dest : Path
        Folder to create.
    template : Path, optional
        Our released template (a git repository), for ``version == "ours"``.
    """
    if sub.is_fork:
        git(dest.parent, "clone", "-q", str(MIRROR), dest.name)
        git(dest, "checkout", "-q", "-B", "main", sub.commit)
        git(dest, "remote", "remove", "origin")
    else:
        assert template is not None, "our template is needed for this submission"
        git(dest.parent, "clone", "-q", str(template), dest.name)
        git(dest, "remote", "remove", "origin")
    for index, commit in enumerate(sub.commits):
        _commit(dest, commit, index)
    return dest


# --------------------------------------------------------------------- grading


def grade(repo: Path, out: Path, cache: Path, lab: str | None = LAB) -> dict[str, Any]:
    """Grade ``repo`` with the engine; return ``results.json``'s content.

    ``lab=None`` detects the lab, as ``grade`` without ``--lab`` does; no
    base is ever given.
    """
    from grading.pipeline.engine import grade as engine_grade
    from grading.pipeline.options import GradeOptions

    options = GradeOptions(hidden_tests_cache=cache, check_environment=False)
    return engine_grade(repo, lab, out, options=options)


def history_details(results: dict[str, Any]) -> dict[str, Any]:
    """The history check's details of a graded submission."""
    return (results.get("checks", {}).get("history") or {}).get("details") or {}


def compare(sub: Submission, results: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of ``item, expected, got, error, within`` for the automatic items."""
    got = {item["id"]: item for item in results["items"]}
    rows = []
    for item, (points, reason) in sub.expected.items():
        entry = got.get(item)
        value = float(entry["points"]) if entry else None
        if entry is not None and entry["status"] == "manual":
            value = None  # held for a person: not an automatic score
        if points is None:  # not asked by the version: the item must be absent
            error = None if entry is None else float(entry["max_points"])
        else:
            error = None if value is None else abs(value - points)
        rows.append(
            {
                "submission": sub.name,
                "item": item,
                "expected": points,
                "got": value,
                "error": error,
                "within": (entry is None)
                if points is None
                else (error is not None and error <= TOLERANCE),
                "reason": reason,
            }
        )
    return rows


def submission_error(rows: list[dict[str, Any]]) -> float:
    """|sum expected - sum got| over a submission's automatic items.

    An item the grader left to a person (``got`` None) counts as 0 points.
    """
    expected = sum(r["expected"] for r in rows)
    got = sum(r["got"] or 0.0 for r in rows)
    return abs(expected - got)


def mean_submission_error(errors: dict[str, float]) -> float:
    """Mean of :func:`submission_error` over the graded submissions."""
    if not errors:
        raise ValueError("no graded submission")
    return sum(errors.values()) / len(errors)


def finding_codes(results: dict[str, Any]) -> set[str]:
    """Codes of the failed and the unassigned findings of a grading."""
    codes = {f.get("code", "") for f in results.get("unassigned", [])}
    for item in results["items"]:
        codes |= {f.get("code", "") for f in item["findings"] if f["passed"] is False}
    return codes - {""}


def student_notices(results: dict[str, Any], prefix: str) -> list[str]:
    """Messages of student-view findings whose code starts with ``prefix``."""
    return [
        f["message"]
        for f in results.get("unassigned", [])
        if f.get("audience") == "student" and f.get("code", "").startswith(prefix)
    ]


def version_of(results: dict[str, Any]) -> dict[str, Any]:
    """The template-version finding's data of a graded submission."""
    for finding in results.get("unassigned", []):
        if finding.get("code") == "template_version":
            return finding.get("data") or {}
    return {}
