"""One run of ``python -m grading batch``: local, a Slurm task, or a submission.

The CLI verbs (:mod:`grading.private.commands.batch`, ``collect``) only parse
their arguments into a :class:`BatchRequest` and call these functions, which
return the exit status:

- ``0`` when every submission is graded;
- ``N`` (1 to 100) when ``N`` submissions are not graded (failed, timed out
  even after the regrade, or named with an id the batch cannot use); 100
  means 100 or more;
- :data:`EXIT_UNUSABLE` (101) when the batch could not start (unusable input,
  options ``grade`` refuses, another batch writing to the same folder, Slurm
  refusing the job);
- :data:`EXIT_CRASHED` (102) when the batch itself failed (a bug: the
  traceback is printed), so that a crash never reads as a count;
- :data:`EXIT_INTERRUPTED` (130) when it was stopped (Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import io
import json
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grading.pipeline.options import DEFAULT_BATCH_TIMEOUT
from grading.private.cohort import slurm
from grading.private.cohort.loop import (
    clean_stale,
    run_batch,
    select,
    write_gradebook_safely,
)
from grading.private.cohort.roster import (
    PLAN_NAME,
    BatchError,
    Roster,
    load_submissions,
    write_plan,
)
from grading.private.cohort.status import is_done, write_not_graded

EXIT_UNUSABLE = 101
EXIT_CRASHED = 102
EXIT_INTERRUPTED = 130
#: Largest count an exit status gives.
MAX_COUNT = 100
#: ``grade`` options the batch sets itself for each submission.
BATCH_SET = ("--out", "--student", "--lab", "--quiet", "-q", "--keep-workdir")

Say = Callable[[str], None]


def say(line: str) -> None:
    """Print a progress line on stderr."""
    print(line, file=sys.stderr, flush=True)


@dataclass
class BatchRequest:
    """What ``batch`` was asked to do (see its ``--help``)."""

    submissions: Path
    out: Path
    lab: str
    jobs: int = 1
    timeout: float = DEFAULT_BATCH_TIMEOUT
    force: bool = False
    only: list[str] = field(default_factory=list)
    retry_failed: bool = False
    executor: str = "local"
    image: str | None = None
    partition: str | None = None
    max_parallel: int | None = None
    wait: bool = False
    progress: bool = True
    task_index: int | None = None
    grade_args: list[str] = field(default_factory=list)
    similarity: bool = True


def count_status(not_graded: int) -> int:
    """Return the exit status that says how many were not graded."""
    return min(max(0, not_graded), MAX_COUNT)


def check_grade_args(args: list[str]) -> list[str]:
    """Return ``args`` if ``grade`` accepts them; raise :class:`BatchError` if not.

    They are checked with ``grade``'s own parser before anything is graded,
    so a typo stops the batch at once instead of failing every submission.
    """
    for arg in args:
        name = arg.split("=", 1)[0]
        if name in BATCH_SET:
            raise BatchError(f"{name} is set by the batch for each submission")
    from grading.commands import grade

    parser = argparse.ArgumentParser(prog="grade", add_help=False, exit_on_error=False)
    grade.register(parser)
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            _, unknown = parser.parse_known_args(["SUBMISSION", *args])
    except (argparse.ArgumentError, SystemExit) as exc:
        why = str(exc) if isinstance(exc, argparse.ArgumentError) else stderr.getvalue()
        raise BatchError(f"grade refuses the options {' '.join(args)}: {why}") from exc
    if unknown:
        raise BatchError(
            f"unrecognized arguments: {' '.join(unknown)} (neither batch nor grade "
            "knows them; see --help of both)"
        )
    return args


def not_graded(roster: Roster, out: Path) -> int:
    """Return how many submissions of ``roster`` have no grade in ``out``."""
    missing = sum(not is_done(out, s.student) for s in roster.submissions)
    return missing + len(roster.rejected)


def _lab_of(path: Path) -> str:
    """The ``lab`` a plan or results.json records, or ``""``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    lab = data.get("lab") if isinstance(data, dict) else None
    return lab if isinstance(lab, str) else ""


def check_lab(out: Path, lab: str, roster: Roster) -> None:
    """Refuse a batch of ``lab`` into an ``out`` that holds another lab's grades.

    A finished student is skipped whatever lab graded them, and the gradebook
    reads every result of the folder: a second lab there would grade nobody
    and mix both labs. The batch plan says the folder's lab; without one, the
    students' results.json do.

    Raises
    ------
    BatchError
        Naming the folder, both labs and the fix.
    """
    found = [_lab_of(out / PLAN_NAME)]
    if not found[0]:
        found = [_lab_of(out / s.student / "results.json") for s in roster.submissions]
    other = next((f for f in found if f and f != lab), "")
    if other:
        raise BatchError(
            f"{out} holds grades of {other}, not {lab}: a batch of {lab} there "
            f"would skip every student graded and mix both labs in one "
            f"gradebook. Grade {lab} into a folder of its own (--out "
            f"{out.parent / (out.name + '-' + lab)}) or remove {out} first; "
            f"to go on with that batch, pass --lab {other}."
        )


def _report_rejected(roster: Roster, tell: Say) -> None:
    for entry in roster.rejected:
        tell(f"batch: {entry.source}: {entry.message}")


@contextlib.contextmanager
def _lock(out: Path):
    with open(out / ".batch.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise BatchError(
                f"another batch is writing to {out}; wait for it or use another --out"
            ) from exc
        yield


def run_local(request: BatchRequest, roster: Roster, tell: Say = say) -> int:
    """Grade the selected submissions here, then write the gradebook."""
    out = request.out
    todo, skipped = select(
        roster.submissions,
        out,
        force=request.force,
        only=request.only,
        retry_failed=request.retry_failed,
    )
    with _lock(out):
        clean_stale(out)
        write_plan(
            roster.submissions,
            out,
            roster.rejected,
            lab=request.lab,
            timeout=request.timeout,
            executor="local",
            grade_args=request.grade_args,
        )
        write_not_graded(out, roster.rejected)
        _report_rejected(roster, tell)
        tell(
            f"batch: {len(roster.submissions)} submission(s), {len(todo)} to grade, "
            f"{len(skipped)} already done (--force to grade again); "
            f"{request.jobs} at a time"
            + (f"; {len(roster.rejected)} not graded" if roster.rejected else "")
        )
        start = time.monotonic()
        try:
            outcomes = run_batch(
                todo,
                out,
                jobs=request.jobs,
                lab=request.lab,
                timeout=request.timeout,
                extra_args=request.grade_args,
                progress=request.progress,
                on_outcome=None
                if request.progress
                else (lambda o: tell(f"{o.student}: {o.status} in {o.seconds:.1f} s")),
            )
        except KeyboardInterrupt:
            tell(
                "batch: interrupted; finished students are kept, run the same "
                "command again to go on"
            )
            return EXIT_INTERRUPTED
        finally:
            clean_stale(out)
        files = write_gradebook_safely(out)
        _compare_class(request)
    failed = sum(o.status != "graded" for o in outcomes)
    missing = not_graded(roster, out)
    tell(
        f"batch: graded {len(outcomes) - failed}, failed {failed}, skipped "
        f"{len(skipped)} in {time.monotonic() - start:.1f} s; "
        f"{missing} submission(s) without a grade"
    )
    for path in files:
        print(f"Gradebook: {path}")
    return count_status(missing)


def _compare_class(request: BatchRequest) -> None:
    """Run the similarity step on the batch's grades unless it is turned off."""
    if request.similarity:
        from grading.private.similarity import run_for_batch

        run_for_batch(
            request.out, lab=request.lab, jobs=request.jobs, progress=request.progress
        )


def run_array_task(request: BatchRequest, roster: Roster, tell: Say = say) -> int:
    """Grade the one submission of a Slurm array task (0 graded, 1 not)."""
    subs = roster.submissions
    if not 0 <= request.task_index < len(subs):
        raise BatchError(
            f"task index {request.task_index} is outside the plan (0-{len(subs) - 1})"
        )
    sub = subs[request.task_index]
    if not request.force and is_done(request.out, sub.student):
        tell(f"batch: {sub.student} is already graded; skipping")
        return 0
    try:
        outcome = slurm.run_task(
            sub,
            request.out,
            lab=request.lab,
            timeout=request.timeout,
            grade_args=request.grade_args,
            say=tell,
        )
    except KeyboardInterrupt:
        tell(f"batch: {sub.student}: stopped before the grading finished")
        return EXIT_INTERRUPTED
    first = outcome.message.splitlines()[0] if outcome.message else ""
    tell(f"batch: {sub.student}: {outcome.status} in {outcome.seconds:.1f} s {first}")
    return 0 if outcome.status == "graded" else 1


def run_slurm(request: BatchRequest, roster: Roster, tell: Say = say) -> int:
    """Submit the selected submissions as one Slurm job array (and collect)."""
    todo, _ = select(
        roster.submissions,
        request.out,
        force=request.force,
        only=request.only,
        retry_failed=request.retry_failed,
    )
    _report_rejected(roster, tell)
    record = slurm.submit(
        todo,
        request.out,
        lab=request.lab,
        timeout=request.timeout,
        image=request.image,
        max_parallel=request.max_parallel,
        partition=request.partition,
        wait=request.wait,
        grade_args=request.grade_args,
        rejected=roster.rejected,
    )
    tell(
        f"batch: submitted Slurm job array {record['job_id']} with "
        f"{record['tasks']} task(s); logs in {request.out / 'slurm' / 'logs'}"
    )
    if not request.wait:
        print(f"When the job has ended, run: python -m grading collect {request.out}")
        return 0
    counts = slurm.collect(request.out, progress=tell)
    _compare_class(request)
    for path in counts["files"]:
        print(f"Gradebook: {path}")
    return count_status(counts["failed"] + counts["missing"] + counts["not_graded"])


def run(request: BatchRequest, tell: Say = say) -> int:
    """Run a batch as ``request`` says; return the exit status (module docstring)."""
    request.out = request.out.resolve()
    try:
        check_grade_args(request.grade_args)
        roster = load_submissions(request.submissions)
        if request.task_index is not None:
            return run_array_task(request, roster, tell)
        check_lab(request.out, request.lab, roster)
        request.out.mkdir(parents=True, exist_ok=True)
        if request.executor == "slurm":
            return run_slurm(request, roster, tell)
        return run_local(request, roster, tell)
    except BatchError as exc:
        tell(f"batch: {exc}")
        return EXIT_UNUSABLE
    except Exception:  # noqa: BLE001 - a crash must not read as a count
        tell(f"batch: the batch itself failed:\n{traceback.format_exc()}")
        return EXIT_CRASHED
