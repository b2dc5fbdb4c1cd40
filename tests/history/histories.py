"""A labelled set of git histories: what a careful instructor gives on the item.

Each case builds a repository and states the points a careful instructor
gives on the 2-point history item, with one line per deduction. The points
and reasons were written before the check was run on the cases; the test
(``test_labelled.py``) asserts the check is within 0.25 of each.

``start`` says where the student started: ``"ours"`` (our released template,
with its fingerprint), a course version key (a fork of the original course
at that version, carrying the course's whole history), or ``"copy:<key>"``
(GitHub's "use this template" copy of that version: a new first commit with
the same files and no course history). The subjects, code and summaries are
our own, in the shape students write.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from course_source import LAB02, MODULE

SUMMARY = "summaries/l03_pruning_clustering/README.md"
SUMMARY02 = "summaries/l02_quantization/README.md"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
OUR_MODULE = MODULE


def code(n: int, tag: str) -> str:
    """``n`` lines of Python with a tag, so that each commit adds new lines."""
    return "".join(f"{tag}_{i} = {i}\n" for i in range(n))


def text(n: int, tag: str) -> str:
    """``n`` lines of summary text."""
    return "".join(f"The {tag} result number {i} is given here.\n" for i in range(n))


@dataclass(frozen=True)
class Case:
    """One labelled history.

    Parameters
    ----------
    name : str
        Id of the case.
    start : str
        ``"ours"``, a version key, or ``"copy:<key>"``.
    expected : float
        Points a careful instructor gives (of 2).
    reasons : tuple of str
        One line per deduction (empty for full points).
    work : callable
        ``work(repo, source)`` adds the student's commits.
    """

    name: str
    start: str
    expected: float
    reasons: tuple[str, ...]
    work: Callable


class Work:
    """Appends code and summary lines to a repository, commit by commit."""

    def __init__(self, repo, module: str = MODULE):
        self.repo = repo
        self.module = module
        self.lines: dict[str, str] = {}

    def _grow(self, path: str, more: str) -> dict[str, str]:
        base = self.lines.get(path)
        if base is None:
            target = self.repo.path / path
            base = target.read_text() if target.exists() else ""
        self.lines[path] = base + more
        return {path: self.lines[path]}

    def code(self, subject: str, n: int, tag: str, path: str | None = None, **kw):
        return self.repo.commit(
            subject, self._grow(path or self.module, code(n, tag)), **kw
        )

    def summary(self, subject: str, n: int, tag: str, path: str = SUMMARY, **kw):
        return self.repo.commit(subject, self._grow(path, text(n, tag)), **kw)

    def both(self, subject: str, n_code: int, n_text: int, tag: str):
        files = self._grow(self.module, code(n_code, tag))
        files.update(self._grow(SUMMARY, text(n_text, tag)))
        return self.repo.commit(subject, files)


# --- forks of the original course (the course's convention) -------------------


def fork_good(repo, source):
    w = Work(repo)
    w.code("l03_pruning_clustering: Implemented TFMOTOptimizedModel", 25, "tfmot")
    w.code("l03_pruning_clustering: Implemented ClusteredModel", 30, "clu")
    w.code("l03_pruning_clustering: Implemented PrunedModel", 30, "pru")
    w.summary(
        "summaries: l03_pruning_clustering: Added summary with metrics and answers",
        40,
        "s",
    )


def fork_two_labs(repo, source):
    w = Work(repo)
    w.code("l02_quantization: Implemented FP32Model and INT8Model", 40, "q", path=LAB02)
    w.summary(
        "summaries: l02_quantization: Added quantization results",
        30,
        "q",
        path=SUMMARY02,
    )
    w.code("l03_pruning_clustering: Implemented ClusteredModel", 35, "clu")
    w.code("l03_pruning_clustering: Implement PrunedModel", 35, "pru")
    w.summary("summaries: l03_pruning_clustering: Added summary", 40, "s")


def fork_junk(repo, source):
    w = Work(repo)
    w.code("WIP", 30, "a")
    w.code("pruning", 30, "b")
    w.code("fix", 5, "c")
    w.summary("update", 30, "s")


def fork_sloppy(repo, source):
    w = Work(repo)
    w.code("implemented clustering", 35, "clu")
    w.code("pruning done, fixed bug in tester", 35, "pru")
    w.summary("added summary", 30, "s")
    w.summary("Fix typos in summary.", 3, "t")


def fork_giant(repo, source):
    Work(repo).both(
        "l03_pruning_clustering: Implemented all tasks and added summary", 90, 40, "all"
    )


def fork_upstream_merge(repo, source):
    w = Work(repo)
    w.code("l03_pruning_clustering: Implemented ClusteredModel", 35, "clu")
    # The course moved on: its next version, plus one more commit by its
    # author that our list of course commits does not know.
    newest = source.newest()
    name, email = source.author(newest)
    repo.git("branch", "-f", "upstream", newest)
    repo.git("checkout", "-q", "upstream")
    repo.commit(
        "l03_pruning_clustering: README: Clarified task order",
        {"dl_in_iot_course/l03_pruning_clustering/NOTES.md": "Order.\n"},
        author=(name, email),
    )
    repo.git("checkout", "-q", "main")
    repo.git(
        "merge",
        "-q",
        "--no-ff",
        "--no-edit",
        "-m",
        "Merge branch 'main' of https://github.com/example/dl-in-iot-course",
        "upstream",
    )
    w.code("l03_pruning_clustering: Implemented PrunedModel", 35, "pru")
    w.summary("summaries: l03_pruning_clustering: Added results", 40, "s")


def copy_one_fix(repo, source):
    w = Work(repo)
    w.code("l03_pruning_clustering: Implemented TFMOTOptimizedModel", 20, "tfmot")
    w.code("l03_pruning_clustering: Implemented ClusteredModel", 30, "clu")
    w.code("l03_pruning_clustering: Implemented PrunedModel", 30, "pru")
    w.code("fix", 2, "fix")
    w.summary("summaries: l03_pruning_clustering: Added summary", 40, "s")


def _disguised(zw: str, rlo: str):
    def work(repo, source):
        w = Work(repo)
        w.code("l03_pruning_clustering: Implemented ClusteredModel", 35, "clu")
        w.code(f"Up{zw}date", 20, "u")
        w.code(f"W{zw}IP", 15, "w")
        w.code(f"l03_pruning_clustering: Implemented{rlo} PrunedModel", 30, "pru")
        w.summary("summaries: l03_pruning_clustering: Added summary", 40, "s")

    return work


# --- our template (the README's convention) ------------------------------------


def ours_good(repo, source):
    w = Work(repo, OUR_MODULE)
    w.code("l03_pruning_clustering: Implement TFMOTOptimizedModel", 20, "tfmot")
    w.code("l03_pruning_clustering: Implement ClusteredModel", 30, "clu")
    w.code("l03_pruning_clustering: Implement PrunedModel", 30, "pru")
    w.summary("summary: Add metrics of every variant", 30, "m")
    w.summary("summary: Answer the four questions", 20, "q")


def ours_sloppy(repo, source):
    w = Work(repo, OUR_MODULE)
    w.code("Implemented ClusteredModel", 35, "clu")
    w.code("l03_pruning_clustering: pruned model works now", 35, "pru")
    w.summary("summary: Add results.", 30, "s")
    w.code("l03_pruning_clustering: Add the schedule of PrunedModel", 5, "sch")


def ours_junk(repo, source):
    w = Work(repo, OUR_MODULE)
    w.code("wip", 35, "a")
    w.code("asdf", 35, "b")
    w.summary("lab3", 30, "s")
    w.code("final", 3, "c")


def ours_giant(repo, source):
    Work(repo, OUR_MODULE).both(
        "l03_pruning_clustering: Implement the three models and the summary",
        100,
        40,
        "all",
    )


def ours_code_in_one(repo, source):
    w = Work(repo, OUR_MODULE)
    w.code("l03_pruning_clustering: Implement the three optimized models", 120, "all")
    w.summary("summary: Add metrics and answers", 40, "s")
    repo.commit(
        "summary: Add the confusion matrices",
        {
            "summaries/l03_pruning_clustering/img/pruned-0.5.png": b"\x89PNG\r\n\x1a\n"
            + b"\0" * 64
        },
    )


def ours_pull_merges(repo, source):
    bare = repo.path.parent / f"{repo.path.name}-remote.git"
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True
    )
    other = repo.path.parent / f"{repo.path.name}-desktop"
    subprocess.run(["git", "clone", "-q", str(bare), str(other)], check=True)
    repo.git("remote", "add", "origin", str(bare))
    desktop = type(repo)(other, init=False)
    w, d = Work(repo, OUR_MODULE), Work(desktop, OUR_MODULE)
    w.code("l03_pruning_clustering: Implement TFMOTOptimizedModel", 20, "tfmot")
    repo.git("push", "-q", "origin", "main")
    d.summary("summary: Describe the test set", 10, "d")
    desktop.git("pull", "-q", "--no-rebase", "--no-edit", "origin", "main")
    desktop.git("push", "-q", "origin", "main")
    w.code("l03_pruning_clustering: Implement ClusteredModel", 30, "clu")
    w.code("l03_pruning_clustering: Implement PrunedModel", 30, "pru")
    repo.git("pull", "-q", "--no-rebase", "--no-edit", "origin", "main")
    w.summary("summary: Add metrics of every variant", 30, "m")


def ours_huge_subject(repo, source):
    ours_good(repo, source)
    Work(repo, OUR_MODULE).code("A" * (10 * 1024 * 1024), 3, "huge")


def ours_hygiene(repo, source):
    w = Work(repo, OUR_MODULE)
    w.code("l03_pruning_clustering: Implement ClusteredModel", 30, "clu")
    w.code(
        "l03_pruning_clustering: Implement PrunedModel",
        30,
        "pru",
        author=("root", "root@localhost"),
    )
    repo.commit(
        "l03_pruning_clustering: Add the experiment results",
        {
            "build/results/pruned-0.5-fp32-metrics.md": "| accuracy | 0.8 |\n",
            "models/pruned-0.5.tflite": b"TFL3" + b"\1" * 200,
        },
    )
    w.summary("summary: Add metrics of every variant", 30, "m")


CASES = [
    Case("fork-2025-good", "2025-04", 2.0, (), fork_good),
    Case("fork-2021-two-labs", "2021", 2.0, (), fork_two_labs),
    Case(
        "fork-2025-junk",
        "2025-tasks",
        0.25,
        ("-1.75 no message says what changed: WIP, a topic word, fix, update",),
        fork_junk,
    ),
    Case(
        "fork-2024-sloppy",
        "2024",
        1.25,
        (
            "-0.7 no commit follows the course's convention (no area, lower case)",
            "-0.05 a subject ends with a period",
        ),
        fork_sloppy,
    ),
    Case(
        "fork-2024-giant",
        "2024",
        1.0,
        ("-1.0 the whole lab, code and summary, in one commit",),
        fork_giant,
    ),
    Case("fork-2025-upstream-merge", "2025-03", 2.0, (), fork_upstream_merge),
    Case(
        "copy-2025-one-fix",
        "copy:2025-tasks",
        1.75,
        ("-0.25 one subject is just 'fix'",),
        copy_one_fix,
    ),
    Case(
        "fork-2025-zero-width",
        "2025-04",
        0.75,
        (
            "-0.75 two of five messages say nothing (Update, WIP), disguised",
            "-0.5 invisible characters in three subjects, put there to dodge rules",
        ),
        _disguised("\u200b", "\u202e"),
    ),
    Case(
        "fork-2025-zero-width-control",
        "2025-04",
        1.25,
        ("-0.75 two of five messages say nothing (Update, WIP)",),
        _disguised("", ""),
    ),
    Case("ours-good", "ours", 2.0, (), ours_good),
    Case(
        "ours-sloppy",
        "ours",
        1.5,
        (
            "-0.35 two of four subjects break the README's form (no area; lower case)",
            "-0.1 one subject in the past tense",
            "-0.05 one subject ends with a period",
        ),
        ours_sloppy,
    ),
    Case(
        "ours-junk",
        "ours",
        0.25,
        ("-1.75 no message says what changed: wip, asdf, lab3, final",),
        ours_junk,
    ),
    Case(
        "ours-giant",
        "ours",
        1.0,
        ("-1.0 the whole lab, code and summary, in one commit",),
        ours_giant,
    ),
    Case(
        "ours-code-in-one",
        "ours",
        1.5,
        ("-0.5 all the code in one commit: its steps do not show",),
        ours_code_in_one,
    ),
    Case(
        "ours-pull-merges",
        "ours",
        1.8,
        ("-0.2 two merges made by git pull without rebase",),
        ours_pull_merges,
    ),
    Case(
        "ours-huge-subject",
        "ours",
        1.5,
        ("-0.5 one subject is 10 MB of text: unreadable, an attack on the reports",),
        ours_huge_subject,
    ),
    Case(
        "ours-hygiene",
        "ours",
        1.25,
        (
            "-0.25 build/ results committed",
            "-0.25 a .tflite model committed outside Git LFS",
            "-0.25 one commit by root@localhost",
        ),
        ours_hygiene,
    ),
]
