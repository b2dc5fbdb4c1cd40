"""Record the facts of a course version from its git repository.

Adding a template version of the original course is data, not code: run

    python -m grading.versions.record REPO LAB COMMIT [--until NEXT]
    python -m grading.versions.record REPO --verify

on a clone of the course repository (``REPO``), with the commit where the
lab's template changed (``COMMIT``) and the next such commit (``NEXT``;
omit it for the newest version). It prints the ``[versions.labs.<lab>]``
tables to paste under a new ``[[versions]]`` entry of ``templates.toml``:
the fingerprints of the experiment module and of each of its functions
(with the names each needs), the module's top-level names, and the blob ids
of the lab's files and of the course files the rubric protects over the
version's span (every commit from ``COMMIT`` up to ``NEXT``, so a README
fixed a week later still matches). What the version's README asks
(``asks``) is written by hand from reading it.

:func:`verify` recomputes every recorded fact from the repository; the tests
run it against the mirror of the original course.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from grading.util.git import GitError, run_git
from grading.util.globs import glob_regex
from grading.versions import TemplateVersion, load_versions
from grading.versions.fingerprint import module_facts


def _show(repo: Path, commit: str, path: str) -> str | None:
    try:
        return run_git(["show", f"{commit}:{path}"], cwd=repo)
    except GitError:
        return None


def lab_blobs(repo: Path, commit: str, folder: str = "") -> dict[str, str]:
    """Return ``path -> blob id`` of the files under ``folder`` at ``commit``."""
    out = run_git(["ls-tree", "-r", commit, "--", folder or "."], cwd=repo)
    blobs = {}
    for line in out.splitlines():
        meta, _, path = line.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob":
            blobs[path] = parts[2]
    return blobs


def span(repo: Path, commit: str, until: str | None) -> list[str]:
    """Commits of a version: ``commit`` and its descendants before ``until``."""
    end = until or "HEAD"
    later = run_git(["rev-list", end, f"^{commit}"], cwd=repo).split()
    if until:
        later = [c for c in later if not c.startswith(until)]
        full = run_git(["rev-parse", until], cwd=repo)
        later = [c for c in later if c != full]
    return [run_git(["rev-parse", commit], cwd=repo), *later]


def _add(table: dict[str, list[str]], path: str, blob: str) -> None:
    seen = table.setdefault(path, [])
    if blob not in seen:
        seen.append(blob)


def record(
    repo: Path,
    commit: str,
    until: str | None,
    folder: str,
    module: str,
    protected: tuple[str, ...] | list[str] = (),
) -> dict[str, Any]:
    """Return the facts of one version of a lab (see the module docstring).

    Parameters
    ----------
    repo : Path
        Clone or mirror of the course repository.
    commit, until : str
        The version's commit and the next version's (None: the newest).
    folder : str
        The lab's folder (its files are recorded).
    module : str
        The experiment module.
    protected : sequence of str
        Globs of the course files the rubric protects (their blobs are
        recorded as ``protected_files``).
    """
    repo = Path(repo)
    files: dict[str, list[str]] = {}
    protected_files: dict[str, list[str]] = {}
    module_fps: list[str] = []
    for sha in span(repo, commit, until):
        everything = lab_blobs(repo, sha)
        for path, blob in everything.items():
            if path.startswith(folder.rstrip("/") + "/"):
                _add(files, path, blob)
            if any(glob_regex(p).match(path) for p in protected):
                _add(protected_files, path, blob)
        source = _show(repo, sha, module)
        facts = module_facts(source) if source is not None else None
        if facts is not None and facts.module not in module_fps:
            module_fps.append(facts.module)
    source = _show(repo, commit, module)
    facts = module_facts(source) if source is not None else None
    return {
        "module": module,
        "module_fingerprints": module_fps,
        "names": list(facts.names) if facts else [],
        "files": {path: sorted(blobs) for path, blobs in sorted(files.items())},
        "protected_files": {
            path: sorted(blobs) for path, blobs in sorted(protected_files.items())
        },
        "functions": {
            name: {"fingerprint": f.fingerprint, "needs": list(f.needs)}
            for name, f in (facts.functions.items() if facts else [])
        },
    }


def _list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def to_toml(lab: str, facts: dict[str, Any], asks: list[str] | None = None) -> str:
    """Format the facts of :func:`record` as the tables of ``templates.toml``."""
    head = f"versions.labs.{lab}"
    lines = [f"[{head}]", f"asks = {_list(asks or [])}"]
    lines.append(f'module = "{facts["module"]}"')
    lines.append(f"module_fingerprints = {_list(facts['module_fingerprints'])}")
    lines.append(f"names = {_list(facts['names'])}")
    lines.append(f"[{head}.files]")
    lines += [f'"{path}" = {_list(blobs)}' for path, blobs in facts["files"].items()]
    lines.append(f"[{head}.protected_files]")
    lines += [
        f'"{path}" = {_list(blobs)}' for path, blobs in facts["protected_files"].items()
    ]
    lines.append(f"[{head}.functions]")
    for name, entry in facts["functions"].items():
        lines.append(
            f'"{name}" = {{fingerprint = "{entry["fingerprint"]}", '
            f"needs = {_list(entry['needs'])}}}"
        )
    return "\n".join(lines) + "\n"


def _next_version(versions: list[TemplateVersion], index: int, lab: str) -> str | None:
    """The commit of the next version of ``lab`` after ``versions[index]``."""
    for later in versions[index + 1 :]:
        if later.commit and later.lab(lab):
            return later.commit
    return None


def _protected_globs(lab: str, folder: str) -> tuple[str, ...]:
    """The rubric's protected globs, or the course's usual ones without a rubric.

    A lab without a rubric yet (lab 02 today) is recorded with the course
    package's shared files and the lab folder's ``__init__.py``, the files
    every lab's rubric protects.
    """
    from grading.pipeline.rubric import RubricError, load_rubric

    try:
        return load_rubric(lab).protected
    except RubricError:
        package = folder.split("/", 1)[0]
        return (f"{package}/__init__.py", f"{package}/misc/**", f"{folder}/__init__.py")


def verify(
    repo: Path, versions: tuple[TemplateVersion, ...] | None = None
) -> list[str]:
    """Recompute the recorded facts of every version; return the differences.

    Parameters
    ----------
    repo : Path
        A clone (or bare mirror) of the course repository.
    versions : tuple of TemplateVersion, optional
        Defaults to :func:`grading.versions.load_versions`.

    Returns
    -------
    list of str
        One line per fact that differs (empty when every fact holds).
    """
    versions = list(versions or load_versions())
    problems = []
    for index, version in enumerate(versions):
        if version.is_ours:
            continue
        try:
            tree = run_git(["rev-parse", f"{version.commit}^{{tree}}"], cwd=repo)
        except GitError as exc:
            problems.append(f"{version.id}: {exc}")
            continue
        if version.tree and tree != version.tree:
            problems.append(f"{version.id}: tree {version.tree} is really {tree}")
        for lab in sorted(version.labs):
            data = version.lab(lab)
            module = str(data.get("module", ""))
            folder = str(Path(module).parent)
            until = _next_version(versions, index, lab)
            globs = _protected_globs(lab, folder)
            facts = record(Path(repo), version.commit, until, folder, module, globs)
            keys = ("module_fingerprints", "names", "files", "protected_files")
            for key in (*keys, "functions"):
                if facts[key] != data.get(key):
                    problems.append(f"{version.id} {lab} {key}: recorded differs")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Print the facts of one version (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m grading.versions.record",
        description="Print the templates.toml tables of one version of a lab, "
        "read from a clone of the course repository.",
    )
    parser.add_argument("repo", type=Path, help="clone or mirror of the course")
    parser.add_argument("lab", nargs="?", help="lab id, e.g. l03_pruning_clustering")
    parser.add_argument(
        "commit", nargs="?", help="commit where the lab's template changed"
    )
    parser.add_argument("--until", help="the next such commit (none: newest)")
    parser.add_argument(
        "--module",
        help="the experiment module (default: the lab's rubric student_module)",
    )
    parser.add_argument(
        "--verify", action="store_true", help="check every recorded version instead"
    )
    args = parser.parse_args(argv)
    if args.verify:
        problems = verify(args.repo)
        print("\n".join(problems) or "every recorded fact holds")
        return 1 if problems else 0
    if not args.lab or not args.commit:
        parser.error("give LAB and COMMIT (or --verify)")
    module = args.module
    if not module:
        from grading.pipeline.rubric import load_rubric

        module = load_rubric(args.lab).student_module
    folder = str(Path(module).parent)
    globs = _protected_globs(args.lab, folder)
    facts = record(args.repo, args.commit, args.until, folder, module, globs)
    sys.stdout.write(to_toml(args.lab, facts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
