"""Where fork-like test histories get the original course from.

With the mirror of antmicro/dl-in-iot-course on this machine (it is on the
development and CI machines), a fork is a local clone of the mirror checked
out at a version commit of ``grading/versions/templates.toml``, and the check
runs with the real catalogue. Without it, a small fake course is built
(commits in the course's style by a course author, five version commits)
with a catalogue of its own, so the fork-like cases still run and never
pass by being skipped.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from grading.history.course import Catalogue
from grading.versions import TemplateVersion, version

MIRROR = Path(
    os.environ.get("COURSE_MIRROR", "/work/.mirror/antmicro+dl-in-iot-course/repo")
)
MODULE = "dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py"
LAB02 = "dl_in_iot_course/l02_quantization/quantization_experiments.py"
#: Version keys used by the cases, and the real version ids behind them.
REAL_VERSIONS = {
    "2021": "antmicro-2021-11",
    "2024": "antmicro-2024-03",
    "2025-tasks": "antmicro-2025-03-tasks",
    "2025-03": "antmicro-2025-03",
    "2025-04": "antmicro-2025-04",
}
FAKE_AUTHOR = ("Course Author", "author@course.example.org")
README03 = "dl_in_iot_course/l03_pruning_clustering/README.md"
STUB = "class Clustered:\n    pass\n"
# (subject, files, version key) of the fake course, oldest first.
FAKE_HISTORY = [
    ("Added initial README.md", {"README.md": "# A course\n"}, ""),
    ("misc: Added helpers", {"dl_in_iot_course/misc/utils.py": "X = 1\n"}, ""),
    ("l02_quantization: Added task stubs", {LAB02: "class FP32Model: ...\n"}, ""),
    ("summaries: Added directory", {"summaries/README.md": "Here.\n"}, ""),
    ("l03_pruning_clustering: Added task stubs", {MODULE: STUB}, "2021"),
    ("l03_pruning_clustering: README: Added tasks", {README03: "# Tasks\n"}, ""),
    ("dl_in_iot_course: Code refactor", {MODULE: STUB + "# ruff\n"}, "2024"),
    (
        "l03_pruning_clustering: Added task selection",
        {MODULE: STUB + "T = 1\n"},
        "2025-tasks",
    ),
    (
        "l03_pruning_clustering: README: Updated descriptions",
        {README03: "# v2\n"},
        "2025-03",
    ),
    ("l03_pruning_clustering: README: Updated links", {README03: "# v3\n"}, "2025-04"),
]


def _git(path: Path, *args: str, env: dict | None = None) -> str:
    done = subprocess.run(
        ["git", "-C", str(path), *args],
        capture_output=True,
        check=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", **(env or {})},
    )
    return done.stdout.decode().strip()


@dataclass
class CourseSource:
    """A source of the original course for fork-like histories.

    Parameters
    ----------
    kind : str
        ``"mirror"`` or ``"fake"``.
    origin : Path
        Repository to clone.
    commits : dict
        Version key to commit id.
    catalogue : Catalogue
        What the history check is told about the course.
    """

    kind: str
    origin: Path
    commits: dict[str, str]
    catalogue: Catalogue

    def newest(self) -> str:
        """The newest version commit (to merge as the course's update)."""
        return self.commits["2025-04"]

    def author(self, sha: str) -> tuple[str, str]:
        """The author of a course commit: the course's own identity."""
        name, email = _git(self.origin, "log", "-1", "--format=%an%x00%ae", sha).split(
            "\0"
        )
        return name, email


def mirror_source() -> CourseSource | None:
    """The real course from the mirror, or None when the mirror is absent."""
    if not (MIRROR / "HEAD").exists():
        return None
    commits = {}
    for key, version_id in REAL_VERSIONS.items():
        entry = version(version_id)
        assert entry is not None, f"templates.toml lost {version_id}"
        commits[key] = entry.commit
    return CourseSource("mirror", MIRROR, commits, Catalogue.load())


def fake_source(where: Path) -> CourseSource:
    """Build the small fake course at ``where`` and describe it."""
    where.mkdir(parents=True)
    _git(where, "init", "-q", "-b", "main")
    commits: dict[str, str] = {}
    every: list[str] = []
    versions = []
    for tick, (subject, files, key) in enumerate(FAKE_HISTORY):
        for name, text in files.items():
            target = where / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            _git(where, "add", name)
        stamp = f"2021-11-{tick + 1:02d}T10:00:00+00:00"
        env = {
            "GIT_AUTHOR_NAME": FAKE_AUTHOR[0],
            "GIT_AUTHOR_EMAIL": FAKE_AUTHOR[1],
            "GIT_COMMITTER_NAME": FAKE_AUTHOR[0],
            "GIT_COMMITTER_EMAIL": FAKE_AUTHOR[1],
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_DATE": stamp,
        }
        _git(where, "commit", "-q", "-m", subject, env=env)
        sha = _git(where, "rev-parse", "HEAD")
        every.append(sha)
        if key:
            commits[key] = sha
            versions.append(
                TemplateVersion(
                    id=f"fake-{key}",
                    repository="example/course",
                    commit=sha,
                    tree=_git(where, "rev-parse", "HEAD^{tree}"),
                    date=stamp[:10],
                    history="course",
                    commits="fake",
                )
            )
    versions.insert(0, TemplateVersion(id="ours"))
    return CourseSource(
        "fake", where, commits, Catalogue(tuple(versions), frozenset(every))
    )
