"""Harness of the hostile corpus: build it, grade it in one batch, inspect.

The session fixture :func:`corpus` does all the expensive work once:

1. copy the instructor repository (``grading/``, ``dl_in_iot_course/``) into a
   temporary folder and run the grader FROM THAT COPY, so that a submission
   that escapes the sandbox damages a disposable copy, never the project;
2. build every submission of :mod:`hostile_cases` (and the normal ones) from
   the stubs, each a git repository with one commit;
3. grade the normal submissions alone (one batch, ``--jobs 1``, so that each
   is graded with nothing beside it), hash every tree, grade everything
   together (one batch, ``--jobs 2``), hash again, and look for
   processes and files that the hostile code left behind.

``conftest.py`` exposes the fixture; the tests in ``test_hostile.py`` only
read what it recorded.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hostile_cases import CASES, GRADED, NORMALS, VICTIM, Case

PROJECT = Path(__file__).resolve().parents[2]
LAB = "l03_pruning_clustering"
#: CPU-time limits of one sandboxed hidden-test run and of one test (set in
#: the rubric of the grader copy): the endless loop runs into them, the
#: reference (about 22 CPU seconds, at most 10 per test) must not.
CPU_LIMIT = int(os.environ.get("HOSTILE_CPU", "60"))
TEST_CPU_LIMIT = int(os.environ.get("HOSTILE_TEST_CPU", "30"))
#: Wall-time guard of that run: a sleeper runs into it.
TIMEOUT = int(os.environ.get("HOSTILE_TIMEOUT", "400"))
#: Limit of one whole grading in the batch (a safety net above TIMEOUT).
BATCH_TIMEOUT = 900
#: Limit of the whole corpus batch, an outer guard only: the batch grades
#: every timed-out submission again, one at a time with doubled limits, which
#: on a loaded 2-core machine took more than 15 minutes for the corpus.
CORPUS_TIMEOUT = 3600
#: Address-space limit given to the batch, in MiB (the hog goes far beyond).
MEMORY_MB = int(os.environ.get("HOSTILE_MEMORY_MB", "6144"))
#: Slack on top of the time limit for ending a process tree.
KILL_SLACK = 5.0
#: Environment variable of the batch that holds a secret (see secret_of).
SECRET_VARIABLE = "HOSTILE_GRADER_SECRET"


def secret_of(root: Path) -> str:
    """The secret put in the batch's environment for the corpus at ``root``."""
    return "SECRETENV-" + hashlib.sha256(str(root).encode()).hexdigest()[:24]


IGNORED_NAMES = {"__pycache__", ".pytest_cache", ".ruff_cache"}


@dataclass
class Corpus:
    """Everything the batch run left for the tests to look at."""

    root: Path
    marker: str
    out: Path
    alone_out: Path
    grader: Path
    subs: Path
    outside: Path
    verb: str = ""
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    alone_seconds: float = 0.0
    hashes_before: dict[str, str] = field(default_factory=dict)
    hashes_after: dict[str, str] = field(default_factory=dict)
    leftover_processes: list[dict] = field(default_factory=list)
    leftover_files: list[str] = field(default_factory=list)
    results: dict[str, dict | None] = field(default_factory=dict)
    alone_results: dict[str, dict | None] = field(default_factory=dict)
    options: list[str] = field(default_factory=list)

    def case_out(self, sub_id: str) -> Path:
        """Output folder of one submission in the main batch."""
        return self.out / sub_id


# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------


def tree_hash(root: Path) -> str:
    """sha256 over the relative paths, link targets and contents of a tree."""
    digest = hashlib.sha256()
    if not root.exists():
        return "absent"
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_NAMES)
        for name in sorted(filenames) + [
            d for d in dirnames if os.path.islink(os.path.join(dirpath, d))
        ]:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            digest.update(rel.encode() + b"\0")
            if path.is_symlink():
                digest.update(b"L" + os.readlink(path).encode() + b"\0")
            elif path.is_file():
                info = path.stat()
                if info.st_size > 64 * 1024 * 1024:  # the sparse giant
                    digest.update(f"S{info.st_size}:{info.st_mtime_ns}".encode())
                    continue
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _copy_grader(dest: Path) -> None:
    """Copy the parts of the instructor repository the grader runs from."""
    ignore = shutil.ignore_patterns(*IGNORED_NAMES, "*.pyc")
    for name in ("grading", "dl_in_iot_course", "summaries", "tests/__init__.py"):
        src = PROJECT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore, symlinks=True)
        elif src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    for name in ("pyproject.toml", "README.md", "requirements.txt"):
        if (PROJECT / name).is_file():
            shutil.copy2(PROJECT / name, dest / name)
    # Short limits for the sandboxed run, so the endless loop ends soon.
    rubric = dest / "grading" / "labs" / f"{LAB}.toml"
    text = rubric.read_text(encoding="utf-8")
    head, sep, tail = text.partition("[hidden_tests]")
    if not sep:
        sep, tail = "\n[hidden_tests]\n", ""
    section, rest = (tail.split("\n[", 1) + [""])[:2]
    limits = {
        "cpu_limit": CPU_LIMIT,
        "test_cpu_limit": TEST_CPU_LIMIT,
        "timeout": TIMEOUT,
    }
    for key, value in limits.items():
        section = re.sub(rf"(?m)^{key}\s*=.*\n?", "", section)
        section = section.rstrip("\n") + f"\n{key} = {value}\n"
    tail = section + ("\n[" + rest if rest else "")
    rubric.write_text(head + sep + tail, encoding="utf-8")


def _stub_template(grader: Path, dest: Path) -> None:
    """Write the student template (stubs) into ``dest``."""
    ignore = shutil.ignore_patterns(*IGNORED_NAMES, "*.pyc")
    shutil.copytree(
        grader / "dl_in_iot_course", dest / "dl_in_iot_course", ignore=ignore
    )
    readme = grader / "summaries" / "README.md"
    (dest / "summaries").mkdir(parents=True, exist_ok=True)
    if readme.is_file():
        shutil.copy2(readme, dest / "summaries" / "README.md")
    (dest / "README.md").write_text("# My lab work\n", encoding="utf-8")
    (dest / ".gitignore").write_text("__pycache__/\n*.pyc\n", encoding="utf-8")


def _overlay_reference(grader: Path, dest: Path) -> None:
    """Put the reference solution over the stubs of ``dest``."""
    for lab_dir in sorted((grader / "grading" / "private" / "reference").glob("l0*")):
        for src in sorted(lab_dir.rglob("*.py")):
            rel = src.relative_to(lab_dir)
            target = dest / "dl_in_iot_course" / lab_dir.name / rel
            if target.exists() or rel.name != "__init__.py":
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ada Student",
        "GIT_AUTHOR_EMAIL": "ada@example.org",
        "GIT_COMMITTER_NAME": "Ada Student",
        "GIT_COMMITTER_EMAIL": "ada@example.org",
        "GIT_AUTHOR_DATE": "2026-01-05T10:00:00Z",
        "GIT_COMMITTER_DATE": "2026-01-05T10:00:00Z",
    }
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, input=stdin
    )
    return done.stdout.decode("utf-8", "replace")


def fill(text: str, values: dict[str, str]) -> str:
    """Replace the ``@@NAME@@`` placeholders of a case."""
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    return text


def build_submission(
    grader: Path, dest: Path, base: str, case: Case | None, values: dict[str, str]
) -> None:
    """Build one submission (a git repository) from the template and a case."""
    _stub_template(grader, dest)
    if base == "reference":
        _overlay_reference(grader, dest)
    _git(dest, "init", "-q", "-b", "main")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "course: Start from the lab template")
    if case is None:
        return
    for edit in case.edits:
        kind = edit[0]
        if kind == "commit":  # ("commit", head[, unit, count]): commit all so far
            message = edit[1] + (edit[2] * edit[3] if len(edit) > 2 else "")
            _git(dest, "add", "-A")
            _git(
                dest, "commit", "-q", "--allow-empty", "-F", "-", stdin=message.encode()
            )
            continue
        path = dest / edit[1]
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "write":
            path.write_text(fill(edit[2], values), encoding="utf-8")
        elif kind == "append":
            with path.open("a", encoding="utf-8") as handle:
                handle.write(fill(edit[2], values))
        elif kind == "repeat":  # ("repeat", path, unit, count[, head, tail])
            head, tail = (edit[4], edit[5]) if len(edit) > 4 else ("", "")
            path.write_text(head + edit[2] * edit[3] + tail, encoding="utf-8")
        elif kind == "symlink":
            os.symlink(fill(edit[2], values), path)
        elif kind == "sparse":
            with path.open("wb") as handle:
                handle.truncate(edit[2])
        else:  # pragma: no cover - a typo in the table
            raise ValueError(f"unknown edit {kind!r} in case {case.id}")
    _git(dest, "add", "-A")
    if _git(dest, "status", "--porcelain"):  # the case's own commits took it all
        _git(dest, "commit", "-q", "-m", f"{LAB}: Implement the lab")


def _secret_png(marker: str) -> bytes:
    """A small valid PNG whose bytes carry the marker (a tEXt chunk)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return (
            struct.pack(">I", len(data))
            + body
            + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
        )

    raw = b"\0\xff\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"tEXt", b"Comment\0SECRET-" + marker.encode())
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------


def _help(grader: Path, verb: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "grading", verb, "--help"],
        cwd=grader,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.stdout if proc.returncode == 0 else ""


def _options(help_text: str, timeout: int) -> list[str]:
    """Options of the batch/grade verb that the corpus wants, if supported."""
    opts = []
    if "--timeout" in help_text:
        opts += ["--timeout", str(timeout)]
    if "--memory" in help_text:
        flag = "--memory-mb" if "--memory-mb" in help_text else "--memory"
        opts += [flag, str(MEMORY_MB)]
    if "--lab" in help_text:
        opts += ["--lab", LAB]
    return opts


def run_batch(
    grader: Path, subs: Path, out: Path, ids: list[str], log: Path, jobs: int = 2
) -> tuple[str, int, float, list[str], str, str]:
    """Grade ``ids`` of ``subs`` into ``out`` with ``jobs`` at a time: one
    batch, or grade per id."""
    env = {
        **os.environ,
        "TF_USE_LEGACY_KERAS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONPATH": str(grader),
        "TMPDIR": str(grader.parent / "tmp"),
        # A secret of the grader's environment: it must reach no output.
        SECRET_VARIABLE: secret_of(grader.parent),
    }
    env.pop("PYTEST_ADDOPTS", None)
    start = time.monotonic()
    batch_help = _help(grader, "batch")
    if batch_help:
        opts = _options(batch_help, BATCH_TIMEOUT)
        cmd = [
            sys.executable,
            "-m",
            "grading",
            "batch",
            str(subs),
            "--out",
            str(out),
            "--jobs",
            str(jobs),
            *opts,
        ]
        proc = subprocess.run(
            cmd,
            cwd=grader,
            env=env,
            capture_output=True,
            text=True,
            timeout=CORPUS_TIMEOUT,
        )
        log.write_text(
            f"$ {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}", encoding="utf-8"
        )
        return (
            "batch",
            proc.returncode,
            time.monotonic() - start,
            opts,
            proc.stdout,
            proc.stderr,
        )
    grade_help = _help(grader, "grade")
    if not grade_help:
        pytest.skip("neither 'python -m grading batch' nor 'grade' exists yet")
    opts = _options(grade_help, TIMEOUT)
    from concurrent.futures import ThreadPoolExecutor

    def one(sub_id: str) -> subprocess.CompletedProcess:
        cmd = [
            sys.executable,
            "-m",
            "grading",
            "grade",
            str(subs / sub_id),
            "--out",
            str(out / sub_id),
            *opts,
        ]
        return subprocess.run(
            cmd,
            cwd=grader,
            env=env,
            capture_output=True,
            text=True,
            timeout=CORPUS_TIMEOUT,
        )

    with ThreadPoolExecutor(jobs) as pool:
        procs = list(pool.map(one, ids))
    text = "\n".join(
        f"== {i}: rc={p.returncode}\n{p.stdout}\n{p.stderr}"
        for i, p in zip(ids, procs, strict=True)
    )
    log.write_text(text, encoding="utf-8")
    code = max((p.returncode for p in procs), default=0)
    return ("grade", code, time.monotonic() - start, opts, text, "")


def _load_results(out: Path, ids: list[str]) -> dict[str, dict | None]:
    results = {}
    for sub_id in ids:
        path = out / sub_id / "results.json"
        try:
            results[sub_id] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            results[sub_id] = None
    return results


def marker_processes(marker: str) -> list[dict]:
    """Processes whose command line carries the session marker."""
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "create_time"]):
        try:
            cmdline = " ".join(proc.info["cmdline"] or [])
        except (psutil.Error, TypeError):
            continue
        if marker in cmdline and proc.pid != os.getpid():
            found.append(
                {
                    "pid": proc.pid,
                    "cmdline": cmdline[:200],
                    "create_time": proc.info["create_time"],
                }
            )
    return found


def _kill_leftovers(procs: list[dict]) -> None:
    """End the marker processes found (they come from this test session)."""
    import psutil

    for info in procs:
        try:
            proc = psutil.Process(info["pid"])
            if proc.create_time() == info["create_time"]:
                proc.kill()
        except psutil.Error:
            pass


def _marker_files(marker: str, places: list[Path]) -> list[str]:
    # os.path.lexists: a place the grader's user cannot read (/root, when
    # it is not root) holds nothing its sandboxed child could have written.
    name = f"hostile-{marker}.txt"
    return [str(p / name) for p in places if os.path.lexists(p / name)]


def _placeholders(corpus: Corpus) -> dict[str, str]:
    """The values of the ``@@NAME@@`` placeholders of the cases."""
    return {
        "MARKER": corpus.marker,
        "ROOT": str(corpus.root),
        "OUT": str(corpus.out),
        "GRADER": str(corpus.grader),
        "OUTSIDE": str(corpus.outside),
        "VICTIM": VICTIM,
        "OUTSIDE_REL": os.path.relpath(corpus.outside, corpus.subs),
        "GRADER_REL": os.path.relpath(corpus.grader, corpus.subs),
        "SUBS": str(corpus.subs),
        "SECRET": secret_of(corpus.root),
    }


def _claim_the_corpus() -> None:
    """Fail at once when another worker of this run built the corpus already.

    Its tests share one worker (``SHARED_FIXTURE_GROUPS`` of tests/conftest.py);
    should the grouping ever fail again, this says so instead of spending the
    corpus's minutes twice. pytest-xdist gives every worker of a run the same
    ``PYTEST_XDIST_TESTRUNUID``.
    """
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run:
        return
    claim = Path(tempfile.gettempdir()) / f"hostile-corpus-{run}.claim"
    try:
        fd = os.open(claim, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        pytest.fail(
            f"another pytest-xdist worker of this run built the hostile corpus "
            f"({claim}): its test modules must share one worker "
            f"(SHARED_FIXTURE_GROUPS, --dist loadgroup)",
            pytrace=False,
        )
    os.write(fd, os.environ.get("PYTEST_XDIST_WORKER", "?").encode())
    os.close(fd)


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    """Build, grade and inspect the whole corpus once per session."""
    if not (PROJECT / "grading" / "hidden" / "suites" / LAB).is_dir():
        pytest.skip("the hidden tests of lab 03 are not there yet")
    _claim_the_corpus()
    # Not under pytest's 0700 basetemp: the sandbox user must reach it.
    root = Path(tempfile.mkdtemp(prefix="hostile-corpus-"))
    os.chmod(root, 0o755)
    (root / "tmp").mkdir()
    os.chmod(root / "tmp", 0o1777)
    marker = "HOSTILE" + uuid.uuid4().hex[:12]
    corpus = Corpus(
        root=root,
        marker=marker,
        out=root / "out",
        alone_out=root / "alone-out",
        grader=root / "grader",
        subs=root / "subs",
        outside=root / "outside",
    )
    _copy_grader(corpus.grader)
    corpus.outside.mkdir()
    (corpus.outside / "secret.png").write_bytes(_secret_png(marker))
    (corpus.outside / "secret.py").write_text(
        f"SECRET = 'SECRET-{marker}'\n", encoding="utf-8"
    )
    values = _placeholders(corpus)
    corpus.subs.mkdir()
    alone_subs = root / "alone-subs"
    alone_subs.mkdir()
    for sub_id, base in NORMALS.items():
        build_submission(corpus.grader, corpus.subs / sub_id, base, None, values)
        build_submission(corpus.grader, alone_subs / sub_id, base, None, values)
    for case in CASES:
        build_submission(
            corpus.grader,
            corpus.subs / case.folder_name,
            "stub",
            case,
            {**values, "SELF": case.id},
        )

    normal_ids = list(NORMALS)
    all_ids = normal_ids + [c.id for c in GRADED]
    # The normal submissions alone, one at a time (this also warms any cache
    # of the grader); test_deterministic compares every grading with these.
    _, _, corpus.alone_seconds, _, _, _ = run_batch(
        corpus.grader,
        alone_subs,
        corpus.alone_out,
        normal_ids,
        root / "alone.log",
        jobs=1,
    )
    corpus.alone_results = _load_results(corpus.alone_out, normal_ids)

    trees = {
        "grader": corpus.grader,
        "outside": corpus.outside,
        **{f"sub:{i}": corpus.subs / i for i in normal_ids},
        **{f"sub:{c.id}": corpus.subs / c.folder_name for c in CASES},
    }
    corpus.hashes_before = {k: tree_hash(v) for k, v in trees.items()}
    (
        corpus.verb,
        corpus.returncode,
        corpus.seconds,
        corpus.options,
        corpus.stdout,
        corpus.stderr,
    ) = run_batch(corpus.grader, corpus.subs, corpus.out, all_ids, root / "batch.log")
    corpus.leftover_processes = marker_processes(marker)
    # Give a delayed tamperer that escaped the chance to strike.
    if corpus.leftover_processes:
        time.sleep(3)
    corpus.hashes_after = {k: tree_hash(v) for k, v in trees.items()}
    corpus.results = _load_results(corpus.out, all_ids)
    home_dirs = [
        Path.home(),
        Path("/root"),
        Path("/usr"),
        Path("/tmp"),
        corpus.out,
        corpus.grader / "grading",
    ]
    corpus.leftover_files = _marker_files(marker, home_dirs)
    print(
        f"\nhostile corpus: {len(all_ids)} submissions, {corpus.verb} took "
        f"{corpus.seconds:.1f} s (normals alone {corpus.alone_seconds:.1f} s), "
        f"log {root / 'batch.log'}"
    )
    yield corpus
    _kill_leftovers(marker_processes(marker))
    for path in corpus.leftover_files:
        if not str(path).startswith(str(root)):
            Path(path).unlink(missing_ok=True)
    if not os.environ.get("HOSTILE_KEEP"):
        shutil.rmtree(root, ignore_errors=True)
