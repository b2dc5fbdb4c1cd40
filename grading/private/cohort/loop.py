"""The batch loop: many submissions, ``jobs`` at a time, each on its own CPUs.

After the first pass, every submission that timed out is graded once more,
alone (one job at a time) and with every time limit doubled
(:data:`~grading.pipeline.options.REGRADE_TIME_FACTOR`): a time limit hit on
a busy machine must not become a lower grade. What still times out stays
recorded as ``timeout`` and is listed as needing attention.
"""

from __future__ import annotations

import os
import queue
import shutil
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from grading.pipeline.options import DEFAULT_BATCH_TIMEOUT, REGRADE_TIME_FACTOR
from grading.pipeline.rubric import default_lab
from grading.private.cohort import child
from grading.private.cohort.roster import BatchError, Submission
from grading.private.cohort.single import grade_one
from grading.private.cohort.status import Outcome, has_failed, is_done, write_status


def select(
    subs: list[Submission],
    out: Path,
    *,
    force: bool = False,
    only: Iterable[str] = (),
    retry_failed: bool = False,
) -> tuple[list[Submission], list[Submission]]:
    """Split submissions into (to grade, to skip).

    Finished students are skipped unless ``force``; failed or timed-out ones
    unless ``retry_failed``; ``only`` grades just the named students, always.
    """
    only = set(only)
    if only:
        unknown = only - {s.student for s in subs}
        if unknown:
            raise BatchError(f"not in the submissions: {', '.join(sorted(unknown))}")
        return [s for s in subs if s.student in only], [
            s for s in subs if s.student not in only
        ]
    todo, skip = [], []
    for sub in subs:
        if force:
            todo.append(sub)
        elif is_done(out, sub.student):
            skip.append(sub)
        elif has_failed(out, sub.student) and not retry_failed:
            skip.append(sub)
        else:
            todo.append(sub)
    return todo, skip


def cpu_slots(jobs: int) -> list[set[int]]:
    """Split the CPUs this process may use into ``jobs`` disjoint sets.

    TensorFlow sizes its thread pools by the CPUs it may run on; pinning each
    parallel grading to its own share keeps two gradings from each starting
    a thread per core and thrashing. Returns ``[]`` (no pinning) for one job,
    more jobs than CPUs, or where affinity is not supported.
    """
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return []
    if jobs < 2 or jobs > len(cpus):
        return []
    return [set(cpus[i::jobs]) for i in range(jobs)]


def threads_per_job(jobs: int) -> int:
    """Threads each of ``jobs`` parallel gradings may use (``0``: no limit).

    The CPUs this process may use, shared out evenly (at least one each), so
    ``jobs`` children running TensorFlow start no more threads per pool than
    there are cores. One job keeps the libraries' defaults.
    """
    if jobs < 2:
        return 0
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, cpus // jobs)


def _with_threads(extra: list[str], jobs: int) -> list[str]:
    """``extra`` plus ``--threads`` of a grading's share, unless given already."""
    threads = threads_per_job(jobs)
    given = any(a == "--threads" or a.startswith("--threads=") for a in extra)
    return extra if given or not threads else [*extra, f"--threads={threads}"]


def _progress_bar(total: int, desc: str, progress: bool):
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit="sub",
        desc=desc,
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )


def _run_pass(
    subs: list[Submission],
    out: Path,
    *,
    jobs: int,
    grade: Callable[[Submission, set[int] | None], Outcome],
    desc: str,
    progress: bool,
    on_outcome: Callable[[Outcome], None] | None,
    pin_cpus: bool,
) -> list[Outcome]:
    """Grade ``subs`` with ``grade(sub, cpus)``, ``jobs`` at a time."""
    outcomes: list[Outcome] = []
    bar = _progress_bar(len(subs), desc, progress)
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    slots = cpu_slots(jobs) if pin_cpus else []
    free: queue.Queue = queue.Queue()
    for slot in slots:
        free.put(slot)

    def graded(sub: Submission) -> Outcome:
        slot = free.get() if slots else None
        try:
            return grade(sub, slot)
        finally:
            if slot is not None:
                free.put(slot)

    try:
        futures = {pool.submit(graded, sub): sub for sub in subs}
        for future in as_completed(futures):
            sub = futures[future]
            try:
                outcome = future.result()
            except Exception as exc:  # a bug here must not stop the class
                outcome = Outcome(sub.student, "error", 0.0, f"batch error: {exc!r}")
                write_status(out / sub.student, sub.student, "error", outcome.message)
            outcomes.append(outcome)
            if outcome.status != "graded":
                first = outcome.message.splitlines()[0] if outcome.message else ""
                bar.write(f"{sub.student}: {outcome.status}: {first}")
            bar.set_postfix(
                failed=sum(o.status != "graded" for o in outcomes), refresh=False
            )
            bar.update(1)
            if on_outcome:
                on_outcome(outcome)
    except KeyboardInterrupt:
        child.kill_running()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
    return outcomes


def run_batch(
    subs: list[Submission],
    out: Path,
    *,
    jobs: int = 1,
    lab: str | None = None,
    timeout: float = DEFAULT_BATCH_TIMEOUT,
    extra_args: Iterable[str] = (),
    progress: bool = True,
    on_outcome: Callable[[Outcome], None] | None = None,
    pin_cpus: bool = True,
    regrade_timeouts: bool = True,
) -> list[Outcome]:
    """Grade ``subs`` with ``jobs`` processes at a time, with a progress bar.

    Parameters
    ----------
    subs : list of Submission
        What to grade (already selected, see :func:`select`).
    out : Path
        The batch folder.
    jobs : int
        Submissions graded at the same time; with more than one, each
        grading's thread pools get its share of the cores
        (:func:`threads_per_job`, ``grade --threads``).
    lab : str, optional
        Lab id of the rubric (:func:`grading.pipeline.rubric.default_lab`
        when None).
    extra_args : iterable of str
        Further ``grade`` options for every grading.
    progress : bool
        Show a tqdm progress bar with an ETA on stderr.
    pin_cpus : bool
        With several jobs and at least as many CPUs, give each running
        grading its own CPUs (see :func:`cpu_slots`).
    regrade_timeouts : bool
        Grade every timed-out submission once more at the end, alone, with
        every time limit times :data:`REGRADE_TIME_FACTOR`.

    Returns
    -------
    list of Outcome
        One per submission, in completion order; a regraded submission has
        the outcome of its regrade (``attempts == 2``). On Ctrl-C the running
        gradings are stopped and ``KeyboardInterrupt`` propagates; finished
        students stay written.
    """
    lab = lab or default_lab()
    extra = list(extra_args)
    child.STOPPING.clear()
    shared = _with_threads(extra, jobs)

    def first(sub: Submission, cpus: set[int] | None) -> Outcome:
        return grade_one(
            sub, out, lab=lab, timeout=timeout, extra_args=shared, cpus=cpus
        )

    common = {"progress": progress, "on_outcome": on_outcome, "pin_cpus": pin_cpus}
    outcomes = _run_pass(subs, out, jobs=jobs, grade=first, desc="grading", **common)
    late = {o.student for o in outcomes if o.status == "timeout"}
    if not regrade_timeouts or not late:
        return outcomes
    factor = REGRADE_TIME_FACTOR

    def again(sub: Submission, cpus: set[int] | None) -> Outcome:
        return grade_one(
            sub,
            out,
            lab=lab,
            timeout=timeout * factor,
            extra_args=extra,
            scale=factor,
            attempt=2,
        )

    print(
        f"batch: {len(late)} submission(s) timed out; grading them again, one at "
        f"a time, with every time limit x{factor:g}",
        file=sys.stderr,
        flush=True,
    )
    retried = [s for s in subs if s.student in late]
    redone = _run_pass(retried, out, jobs=1, grade=again, desc="regrading", **common)
    by_student = {o.student: o for o in redone}
    return [by_student.get(o.student, o) for o in outcomes]


def clean_stale(out: Path) -> None:
    """Remove scratch folders left by a batch that was killed."""
    for name in (".partial", ".work"):
        shutil.rmtree(out / name, ignore_errors=True)
    for old in out.glob(".old-*"):
        shutil.rmtree(old, ignore_errors=True)


def write_gradebook_safely(out: Path) -> list[Path]:
    """Write ``OUT/gradebook.csv`` and ``OUT/index.html``.

    :func:`grading.report.write_gradebook`, guarded: the CSV is written
    first, so a failure of the class page still leaves the gradebook; the
    failure is printed and the batch goes on.

    Returns
    -------
    list of Path
        The files written.
    """
    from grading.report import write_gradebook as report_gradebook

    try:
        return list(report_gradebook(out).values())
    except Exception as exc:  # noqa: BLE001 - a batch must end with its CSV
        print(f"batch: the class page could not be written ({exc!r})", file=sys.stderr)
        return [p for p in (out / "gradebook.csv", out / "index.html") if p.exists()]
