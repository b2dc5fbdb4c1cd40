"""Scripted git repositories for the history tests (imported by conftest)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

STUDENT = ("Ada Student", "ada@students.example.org")
STUB = (
    "class ClusteredModel:\n"
    "    def compress_and_fine_tune(self, model):\n"
    "        pass\n"
)
TEMPLATE_FILES = {
    "README.md": "# Labs\n\nResults go to `build/`. Do not commit `results/` either.\n",
    "dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py": STUB,
    "summaries/README.md": "Put your summary in summaries/<lab>/.\n",
    ".gitignore": "*.pyc\n",
}


def code_lines(n: int, tag: str = "x") -> str:
    """Return ``n`` lines of Python."""
    return "".join(f"{tag}_{i} = {i}\n" for i in range(n))


class GitRepo:
    """A repository built by a test, commit by commit."""

    def __init__(self, path: Path, init: bool = True):
        self.path = path
        self.tick = 0
        if init:
            path.mkdir(parents=True, exist_ok=True)
            self.git("init", "-q", "-b", "main")

    def git(self, *args: str, author: tuple[str, str] = STUDENT) -> str:
        self.tick += 1
        stamp = f"2026-03-01T10:{self.tick // 60:02d}:{self.tick % 60:02d}+00:00"
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_COMMITTER_NAME": author[0],
            "GIT_COMMITTER_EMAIL": author[1],
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_DATE": stamp,
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.path.parent),
        }
        done = subprocess.run(
            ["git", "-C", str(self.path), *args],
            env=env,
            capture_output=True,
            check=True,
        )
        return done.stdout.decode("utf-8", "replace").strip()

    def write(self, files: dict[str, str | bytes]) -> None:
        for name, content in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                content = content.encode("utf-8")
            target.write_bytes(content)

    def commit(
        self,
        message: str,
        files: dict | None = None,
        remove=(),
        author: tuple[str, str] = STUDENT,
    ) -> str:
        """Write ``files``, remove paths, commit everything; return the sha."""
        if files:
            self.write(files)
            self.git("add", "-f", "--", *files)
        for name in remove:
            self.git("rm", "-r", "-q", "--cached", "--", name)
        # From a file: a message may be larger than a command-line argument.
        note = self.path.parent / f".{self.path.name}-message"
        note.write_bytes(message.encode("utf-8", "surrogatepass"))
        self.git(
            "commit",
            "-q",
            "--allow-empty",
            "--allow-empty-message",
            "--no-verify",
            "--cleanup=verbatim",
            "-F",
            str(note),
            author=author,
        )
        return self.git("rev-parse", "HEAD")

    def template(
        self, message: str = "Initial commit", author: tuple[str, str] = STUDENT
    ) -> str:
        """Commit the template with its fingerprint, as 'use this template' does."""
        record = {
            "course": "dl-in-iot",
            "template_version": "1.0",
            "released_at": "2026-02-01T00:00:00+00:00",
            "source_commit": "0" * 40,
            "files": {
                name: hashlib.sha1(
                    b"blob %d\0" % len(text.encode()) + text.encode()
                ).hexdigest()
                for name, text in TEMPLATE_FILES.items()
            },
        }
        files = dict(TEMPLATE_FILES)
        files[".course/template.json"] = json.dumps(record, indent=2)
        return self.commit(message, files, author=author)

    def good_work(self, area: str = "l03_pruning_clustering") -> list[str]:
        """Four clean commits: three classes, then the summary."""
        module = (
            "dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py"
        )
        return [
            self.commit(
                f"{area}: Implement TFMOTOptimizedModel",
                {module: STUB + code_lines(20, "a")},
            ),
            self.commit(
                f"{area}: Implement ClusteredModel",
                {module: STUB + code_lines(40, "a")},
            ),
            self.commit(
                f"{area}: Implement PrunedModel", {module: STUB + code_lines(60, "a")}
            ),
            self.commit(
                f"{area}: Add the summary with metrics and answers",
                {"summaries/l03_pruning_clustering/README.md": code_lines(30, "s")},
            ),
        ]
