"""Grade a whole class: one process and one working copy per submission.

A batch reads its submissions from a folder of clones, a roster CSV or a plan
written by an earlier batch (:mod:`~grading.private.cohort.roster`), makes a
working copy of each at its deadline (:mod:`~grading.private.cohort.clone`),
grades each one with ``python -m grading grade`` in a child process with a
time limit (:mod:`~grading.private.cohort.child`), and writes
``OUT/<student>/`` atomically (:mod:`~grading.private.cohort.single`): a
finished student is never half-written, so a killed batch loses nothing that
finished and the next run goes on where it stopped. The loop
(:mod:`~grading.private.cohort.loop`) runs ``jobs`` gradings at a time and
regrades timed-out ones at the end; a failure or a timeout is recorded in
``OUT/<student>/status.json`` (:mod:`~grading.private.cohort.status`) and the
batch goes on. A name the batch cannot use is listed as not graded. The
batch ends with the gradebook (``OUT/gradebook.csv``, ``OUT/index.html``).
:mod:`~grading.private.cohort.slurm` runs the same per submission as the
tasks of a Slurm job array.
"""

from grading.private.cohort.child import grade_command, kill_running, limit_args
from grading.private.cohort.clone import prepare_working_copy
from grading.private.cohort.loop import (
    clean_stale,
    cpu_slots,
    run_batch,
    select,
    threads_per_job,
    write_gradebook_safely,
)
from grading.private.cohort.roster import (
    PLAN_NAME,
    BatchError,
    Rejected,
    Roster,
    Submission,
    id_problem,
    is_url,
    load_submissions,
    read_roster,
    write_plan,
)
from grading.private.cohort.single import grade_one
from grading.private.cohort.status import (
    Outcome,
    has_failed,
    is_done,
    write_not_graded,
    write_status,
)

__all__ = [
    "PLAN_NAME",
    "BatchError",
    "Outcome",
    "Rejected",
    "Roster",
    "Submission",
    "clean_stale",
    "cpu_slots",
    "threads_per_job",
    "grade_command",
    "grade_one",
    "has_failed",
    "id_problem",
    "is_done",
    "is_url",
    "kill_running",
    "limit_args",
    "load_submissions",
    "prepare_working_copy",
    "read_roster",
    "run_batch",
    "select",
    "write_gradebook_safely",
    "write_not_graded",
    "write_plan",
    "write_status",
]
