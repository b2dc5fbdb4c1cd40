"""The whole product on the embedded default data set, in one command.

``python -m grading demo`` (``./run demo``) runs lab 03 and lab 02 with the
reference solutions on the embedded default data, releases the student
template, turns a clone of it into an example submission (the reference code
over the stubs, summaries written from the metrics and model sizes of those
runs, a few commits in the course convention), grades it as lab 03 and as lab
02 and writes the gradebooks. It needs no network and takes a few minutes on
two cores (lab 02: grading/private/walkthrough_l02.py).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from grading.pipeline.options import DEFAULT_BATCH_TIMEOUT
from grading.private import walkthrough_l02 as lab02
from grading.private.cohort import Submission, run_batch, write_gradebook_safely
from grading.private.packaging import release
from grading.util.git import GitError, run_git
from grading.util.paths import REPO_ROOT

#: The lab this walkthrough grades (its lab 02 part: ``walkthrough_l02.LAB``).
LAB = "l03_pruning_clustering"
STUDENT = "demo-student"
STUDENT_NAME = "Dana Demo"
STUDENT_EMAIL = "dana.demo@example.org"
STAGES = 5


class DemoError(RuntimeError):
    """A stage of the demo failed; the message says which and where the log is."""


def _stage(number: int, text: str) -> float:
    print(f"demo: [{number}/{STAGES}] {text}", file=sys.stderr, flush=True)
    return time.monotonic()


def _done(start: float, text: str = "done") -> None:
    print(
        f"demo:       {text} in {time.monotonic() - start:.1f} s",
        file=sys.stderr,
        flush=True,
    )


# ---------------------------------------------------------------------------
# Stage 1: the lab run
# ---------------------------------------------------------------------------


def run_lab(results: Path, log: Path, lab: str = LAB) -> None:
    """Run ``python -m grading lab <lab> --reference`` into ``results``.

    Lines of the run that start with ``INFO:`` are shown as progress; the
    whole output goes to ``log``.
    """
    results.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "TF_USE_LEGACY_KERAS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])
        ),
    }
    command = [
        sys.executable,
        "-m",
        "grading",
        "lab",
        lab,
        "--reference",
        "--results-path",
        str(results),
    ]
    with open(log, "w", encoding="utf-8") as handle:
        proc = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            bufsize=1,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            handle.write(line)
            if line.startswith("INFO:"):
                print(f"demo:       {line[5:].strip()}", file=sys.stderr, flush=True)
        code = proc.wait()
    if code != 0 or not (results / "model-sizes.md").is_file():
        raise DemoError(f"the lab run failed (exit {code}); see {log}")


# ---------------------------------------------------------------------------
# Stage 3: the example submission
# ---------------------------------------------------------------------------


def _table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def read_metrics(results: Path) -> dict[str, dict[str, str]]:
    """Read every ``<variant>-metrics.md``: variant -> metric -> value."""
    metrics = {}
    for path in sorted(results.glob("*-metrics.md")):
        variant = path.name.removesuffix("-metrics.md")
        rows = _table_rows(path.read_text(encoding="utf-8"))
        metrics[variant] = {row[0]: row[1] for row in rows[1:] if len(row) >= 2}
    return metrics


def read_sizes(results: Path) -> dict[str, dict[str, str]]:
    """Read ``model-sizes.md``: variant (``clustered-4-fp32``) -> column -> value."""
    path = results / "model-sizes.md"
    rows = _table_rows(path.read_text(encoding="utf-8")) if path.is_file() else []
    if not rows:
        return {}
    header = [h.lower() for h in rows[0]]
    sizes = {}
    for row in rows[1:]:
        entry = dict(zip(header, row, strict=False))
        match = re.search(
            r"(clustered-\d+|pruned-[\d.]+)\.tflite$", entry.get("model", "")
        )
        name = f"{match.group(1)}-fp32" if match else entry.get("model", "")
        sizes[name] = entry
    return sizes


def _number(text: str) -> float:
    match = re.search(r"-?\d+(?:\.\d+)?", text or "")
    return float(match.group()) if match else float("nan")


def write_summary(results: Path, folder: Path) -> Path:
    """Write an example lab 03 summary from a lab run into ``folder``.

    Parameters
    ----------
    results : Path
        The lab run's results folder (metrics files, confusion matrices,
        ``model-sizes.md``).
    folder : Path
        ``summaries/l03_pruning_clustering`` of the submission.

    Returns
    -------
    Path
        The summary's ``README.md``.
    """
    metrics = read_metrics(results)
    sizes = read_sizes(results)
    if not metrics or not sizes:
        raise DemoError(f"{results} has no metrics files or no model-sizes.md")
    img = folder / "img"
    img.mkdir(parents=True, exist_ok=True)
    variants = sorted(
        set(metrics) | set(sizes),
        key=lambda v: (not v.startswith("clustered"), _number(v.split("-")[1])),
    )
    samples = next(iter(metrics.values())).get("Test samples", "?")
    lines = [
        "# Lab 03 summary: pruning and clustering",
        "",
        "All numbers come from one run of every variant on the embedded default",
        f"data set of the course (a small CNN, {samples} test images), made with",
        "`python -m grading lab l03_pruning_clustering --reference`.",
        "",
    ]
    lines += _metric_lines(variants, metrics)
    lines += _picture_lines(variants, results, img)
    lines += _size_lines(variants, sizes)
    lines += _answer_lines(variants, metrics, sizes)
    path = folder / "README.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _metric_lines(variants: list[str], metrics: dict) -> list[str]:
    lines = [
        "## Metrics of every variant",
        "",
        "| variant | accuracy | mean precision | mean sensitivity | G-mean | top-5 "
        "| inference time |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for v in variants:
        m = metrics.get(v, {})
        lines.append(
            f"| {v} | {m.get('Accuracy', 'n/a')} | {m.get('Mean precision', 'n/a')} | "
            f"{m.get('Mean sensitivity', 'n/a')} | {m.get('G-mean', 'n/a')} | "
            f"{m.get('Top-5 accuracy', 'n/a')} | "
            f"{m.get('Mean inference time', 'n/a').split(' (')[0]} |"
        )
    return lines


def _picture_lines(variants: list[str], results: Path, img: Path) -> list[str]:
    lines = ["", "## Confusion matrices", ""]
    for v in variants:
        picture = results / f"{v}-confusion-matrix.png"
        if picture.is_file():
            shutil.copy2(picture, img / picture.name)
            lines += [
                f"### {v}",
                "",
                f"![{v} confusion matrix](img/{picture.name})",
                "",
            ]
    return lines


def _size_lines(variants: list[str], sizes: dict) -> list[str]:
    lines = [
        "## Model sizes and ZIP deflation",
        "",
        "| variant | TFLite size | ZIP size | deflation |",
        "| --- | ---: | ---: | ---: |",
    ]
    for v in variants:
        s = sizes.get(v)
        if s:
            lines.append(
                f"| {v} | {s.get('size', '?')} | {s.get('zip size', '?')} | "
                f"{s.get('deflation', '?')} |"
            )
    return lines


def _answer_lines(variants: list[str], metrics: dict, sizes: dict) -> list[str]:
    def accuracy(v: str) -> float:
        return _number(metrics.get(v, {}).get("Accuracy", ""))

    def zipped(v: str) -> float:
        return _number(sizes.get(v, {}).get("zip size", ""))

    def best(prefix: str) -> str:
        group = [v for v in variants if v.startswith(prefix) and v in metrics]
        return max(group, key=accuracy) if group else "n/a"

    sized = [v for v in variants if v in sizes]
    smallest = min(sized, key=zipped)
    most_accurate = max((v for v in variants if v in metrics), key=accuracy)
    ratios = ", ".join(
        f"{v}: {_number(sizes[v].get('times smaller after zip', ''))}x" for v in sized
    )
    dominant = smallest == most_accurate or accuracy(smallest) >= accuracy(
        most_accurate
    )
    return [
        "",
        "## Question 1: how do quantization, pruning and clustering compare?",
        "",
        f"The best clustered variant here is {best('clustered')} (accuracy "
        f"{accuracy(best('clustered')):.3f}) and the best pruned one is "
        f"{best('pruned')} (accuracy {accuracy(best('pruned')):.3f}). Inference time "
        "is about the same for all of them, because both methods keep the FP32 "
        "operators and the tensor shapes: they change the values of the weights, "
        "not the amount of computation. Quantization (lab 02) is the only one of "
        "the three that also speeds up inference on hardware with INT8 kernels; "
        "it was not run again for this summary.",
        "",
        "## Question 2: how many times smaller than the FP32 TFLite model?",
        "",
        "Unzipped, every model is as large as the FP32 TFLite model, because the "
        "file still stores one 32-bit float per weight. After ZIP compression the "
        f"FP32 file size divided by the compressed size gives: {ratios}.",
        "",
        "## Question 3: what does deflation mean for these models?",
        "",
        "Deflation is the share of the file that ZIP removed: one minus the "
        "compressed size over the original size. ZIP's DEFLATE algorithm finds "
        "repeated byte sequences and codes frequent symbols with fewer bits. "
        "Clustering leaves only a few distinct weight values, and pruning sets "
        "many weights to exactly zero, so both make the weight tensors highly "
        "repetitive and the deflation grows: the fewer clusters or the more "
        "zeros, the higher it is.",
        "",
        "## Question 4: which method gives the smallest and best-performing model?",
        "",
        f"The smallest compressed model is {smallest} ({zipped(smallest):.0f} B "
        f"after ZIP, accuracy {accuracy(smallest):.3f}); the most accurate is "
        f"{most_accurate} (accuracy {accuracy(most_accurate):.3f}). "
        + (
            "Here one variant is both the smallest and as accurate as any other, "
            "so clustering dominates on this data."
            if dominant
            else "No method dominates: the smallest model gives up some accuracy, so "
            "the choice depends on whether storage or quality matters more."
        ),
        "",
    ]


def _git(cwd: Path, *args: str, when: dt.datetime | None = None) -> str:
    env = {
        "GIT_AUTHOR_NAME": STUDENT_NAME,
        "GIT_AUTHOR_EMAIL": STUDENT_EMAIL,
        "GIT_COMMITTER_NAME": STUDENT_NAME,
        "GIT_COMMITTER_EMAIL": STUDENT_EMAIL,
    }
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
    try:
        return run_git(list(args), cwd, env=env)
    except GitError as exc:
        raise DemoError(str(exc)) from exc


def make_submission(template: Path, results: Path, dest: Path) -> list[str]:
    """Clone the template to ``dest`` and commit a complete example submission.

    Returns
    -------
    list of str
        The subjects of the commits made, oldest first.
    """
    from grading.private.reference.overlay import reference_files

    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    _git(dest.parent, "clone", "--quiet", str(template), dest.name)
    when = dt.datetime.now(dt.UTC).replace(microsecond=0)
    commits = []

    for student_path, reference in reference_files(LAB).items():
        shutil.copy2(reference, dest / student_path)
        _git(dest, "add", student_path)
    subject = "course: Implement the optimized models of lab 03"
    _git(
        dest,
        "commit",
        "--quiet",
        "-m",
        subject,
        "-m",
        "TFMOTOptimizedModel runs the FP32 TFLite model; ClusteredModel and\n"
        "PrunedModel fine-tune the compressed Keras model, strip the wrappers\n"
        "and convert the result to TFLite.",
        when=when + dt.timedelta(minutes=1),
    )
    commits.append(subject)

    folder = dest / "summaries" / LAB
    write_summary(results, folder)
    text = (folder / "README.md").read_text(encoding="utf-8")
    answers_at = text.index("## Question 1")
    (folder / "README.md").write_text(text[:answers_at], encoding="utf-8")
    _git(dest, "add", f"summaries/{LAB}")
    subject = "summary: Add metrics, confusion matrices and sizes of lab 03"
    _git(dest, "commit", "--quiet", "-m", subject, when=when + dt.timedelta(minutes=2))
    commits.append(subject)

    (folder / "README.md").write_text(text, encoding="utf-8")
    _git(dest, "add", f"summaries/{LAB}/README.md")
    subject = "summary: Answer the four questions of lab 03"
    _git(dest, "commit", "--quiet", "-m", subject, when=when + dt.timedelta(minutes=3))
    commits.append(subject)
    return commits


# ---------------------------------------------------------------------------
# The whole demo
# ---------------------------------------------------------------------------


def _grade(submission: Path, grades: Path, lab: str, timeout: float) -> str:
    """Grade the example as ``lab`` (a batch of one); return its score line."""
    (outcome,) = run_batch(
        [Submission(STUDENT, str(submission))],
        grades,
        lab=lab,
        timeout=timeout,
        progress=False,
    )
    if outcome.status != "graded":
        raise DemoError(
            f"grading the example as {lab} failed ({outcome.status}): "
            f"{outcome.message}\n(log: {grades / STUDENT / 'grade.log'})"
        )
    return f"{lab}: score {outcome.score:g} of {outcome.max_score:g}"


def _run_lab02(out: Path, results02: Path) -> None:
    """Run lab 02 into ``results02`` unless an earlier run is there."""
    start = _stage(1, f"lab 02 with the reference solution -> {results02}")
    if (results02 / "model-sizes.md").is_file():
        _done(start, "reused the results of an earlier run")
        return
    log = out / "lab02-run.log"
    run_lab(results02, log, lab02.LAB)
    lab02.save_parameter_count(log, results02)
    _done(start, f"lab run finished (log: {log})")


def run_demo(
    out: Path,
    *,
    lab_results: Path | None = None,
    lab02_results: Path | None = None,
    timeout: float = DEFAULT_BATCH_TIMEOUT,
) -> dict[str, Path]:
    """Run the five stages; return the paths of what the demo produced.

    Parameters
    ----------
    out : Path
        Folder of everything the demo writes.
    lab_results : Path, optional
        Results of an earlier lab run to reuse instead of running the lab.
        ``OUT/lab-results`` of an earlier demo is reused as well.
    lab02_results : Path, optional
        The same for lab 02 (``OUT/lab02-results``).
    timeout : float
        Seconds allowed to grade the example submission.

    Returns
    -------
    dict
        ``{"report", "instructor_report", "gradebook", "index", "template",
        "submission", "lab_results"}``.
    """
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    results = Path(lab_results).resolve() if lab_results else out / "lab-results"
    results02 = (
        Path(lab02_results).resolve() if lab02_results else out / "lab02-results"
    )

    start = _stage(
        1,
        f"lab 03 with the reference solution on the embedded default data -> {results}",
    )
    if (results / "model-sizes.md").is_file():
        _done(
            start,
            "reused the results of an earlier run (delete the folder to run again)",
        )
    else:
        run_lab(results, out / "lab-run.log")
        _done(start, f"lab run finished (log: {out / 'lab-run.log'})")
    print(
        f"\nModel sizes, ZIP sizes and deflation ({results / 'model-sizes.md'}):\n"
        + (results / "model-sizes.md").read_text(encoding="utf-8"),
        file=sys.stderr,
        flush=True,
    )
    _run_lab02(out, results02)

    start = _stage(2, f"releasing the student template -> {out / 'template'}")
    record = release(out / "template", force=True)
    _done(start, f"{len(record['files'])} files in one commit")

    start = _stage(
        3, f"making an example submission -> {out / 'submissions' / STUDENT}"
    )
    submission = out / "submissions" / STUDENT
    commits = make_submission(out / "template", results, submission)
    when = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=10)
    commits += lab02.add_to_submission(submission, results02, _git, when)
    _done(start, f"{len(commits)} commits: " + "; ".join(commits))

    start = _stage(4, "grading the example submission (hidden tests, summary, history)")
    # As a batch of one: a grading a time limit stopped is graded once more
    # with doubled limits, never shown as a lower score.
    grades = out / "grades"
    scores = [_grade(submission, grades, LAB, timeout)]
    grades_l02 = out / "grades-l02"
    scores.append(_grade(submission, grades_l02, lab02.LAB, timeout))
    _done(start, "; ".join(scores) + " (items a person grades wait for review)")

    start = _stage(5, f"writing the gradebooks -> {grades}, {grades_l02}")
    write_gradebook_safely(grades)
    write_gradebook_safely(grades_l02)
    _done(start)
    return {
        "report": grades / STUDENT / "report.html",
        "instructor_report": grades / STUDENT / "report-instructor.html",
        "gradebook": grades / "gradebook.csv",
        "index": grades / "index.html",
        "template": out / "template",
        "submission": submission,
        "lab_results": results,
        "report_l02": grades_l02 / STUDENT / "report.html",
        "gradebook_l02": grades_l02 / "gradebook.csv",
        "lab02_results": results02,
    }
