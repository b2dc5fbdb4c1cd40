"""Lab 02 in the demo: its lab run, its example summary and its commits.

The demo (:mod:`grading.private.walkthrough`) runs lab 02 with the reference
solution beside lab 03, adds the lab 02 work to the example submission (the
reference module, then a summary written from that run and from this
machine's ``/proc/cpuinfo`` and ``/proc/meminfo``) and grades the submission
as lab 02 too.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import shutil
from pathlib import Path

LAB = "l02_quantization"
#: The parameter count the lab run printed (NativeModel's model summary).
PARAMETERS_FILE = "parameters.txt"
VARIANTS = (
    "native",
    "tflite-fp32",
    "tflite-int8-0.01",
    "tflite-int8-0.08",
    "tflite-int8-0.3",
    "tflite-int8-0.8",
    "tflite-imbint8",
)


def save_parameter_count(log: Path, results: Path) -> str:
    """Keep the ``Total params`` the lab run printed in ``results``; return it."""
    text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
    match = re.search(r"Total params:\s*([\d,]+)", text)
    count = match.group(1) if match else ""
    (results / PARAMETERS_FILE).write_text(count + "\n", encoding="utf-8")
    return count


def hardware() -> dict[str, str]:
    """CPU model, logical CPUs, flags of note and RAM of this machine."""
    cpu, flags, ram = platform.processor() or "unknown", [], "unknown"
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        found = re.search(r"^model name\s*:\s*(.+)$", info, re.M)
        cpu = found.group(1).strip() if found else cpu
        listed = re.search(r"^(?:flags|Features)\s*:\s*(.+)$", info, re.M)
        wanted = ("avx2", "avx512f", "fma", "sse4_2", "neon", "asimd")
        flags = [f for f in (listed.group(1).split() if listed else []) if f in wanted]
    except OSError:
        pass
    try:
        meminfo = Path("/proc/meminfo").read_text(encoding="utf-8")
        kib = int(re.search(r"^MemTotal:\s*(\d+)", meminfo, re.M).group(1))
        ram = f"{kib / 1024**2:.1f} GiB"
    except (OSError, AttributeError, ValueError):
        pass
    return {
        "cpu": cpu,
        "cpus": str(os.cpu_count() or "unknown"),
        "flags": ", ".join(flags) or "none of AVX2, AVX-512, FMA, SSE4.2, NEON",
        "ram": ram,
    }


def _metrics(results: Path) -> dict[str, dict[str, str]]:
    from grading.private.walkthrough import read_metrics

    return read_metrics(results)


def _sizes(results: Path) -> dict[str, str]:
    """``fp32`` / ``int8-0.3`` ... -> the size cell of ``model-sizes.md``."""
    from grading.private.walkthrough import _table_rows

    path = results / "model-sizes.md"
    rows = _table_rows(path.read_text(encoding="utf-8")) if path.is_file() else []
    out = {}
    for row in rows[1:]:
        match = re.search(r"\.(fp32|int8-[\d.]+|imbint8)\.tflite$", row[0])
        if match and len(row) > 1:
            out[match.group(1)] = row[1]
    return out


def _bytes(cell: str) -> float:
    match = re.search(r"(\d+)\s*B\b", cell or "")
    return float(match.group(1)) if match else float("nan")


def write_summary(results: Path, folder: Path) -> Path:
    """Write an example lab 02 summary from a lab run into ``folder``.

    Returns
    -------
    Path
        The summary's ``README.md``.
    """
    from grading.private.walkthrough import DemoError, _picture_lines

    metrics, sizes = _metrics(results), _sizes(results)
    if not metrics or "fp32" not in sizes:
        raise DemoError(f"{results} has no lab 02 metrics files or model sizes")
    params_file = results / PARAMETERS_FILE
    params = params_file.read_text().strip() if params_file.is_file() else ""
    img = folder / "img"
    img.mkdir(parents=True, exist_ok=True)
    table = _Table(metrics)
    samples = next(iter(metrics.values())).get("Test samples", "?")
    lines = [
        "# Lab 02 summary: quantization",
        "",
        "All numbers come from one run of every variant on the embedded default",
        f"data set of the course (a small CNN, {samples} test images), made with",
        "`python -m grading lab l02_quantization --reference`.",
        "",
    ]
    lines += _platform_lines(hardware(), params)
    lines += _metric_lines(table)
    lines += _picture_lines(list(VARIANTS), results, img)
    lines += _answer_lines(table, sizes)
    path = folder / "README.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class _Table:
    """The metrics of a lab run, read by variant and metric name."""

    def __init__(self, metrics: dict) -> None:
        self.metrics = metrics

    def value(self, variant: str, key: str) -> str:
        return self.metrics.get(variant, {}).get(key, "n/a").split(" (")[0]

    def accuracy(self, variant: str) -> float:
        try:
            return float(self.value(variant, "Accuracy"))
        except ValueError:
            return float("nan")


def _platform_lines(machine: dict, params: str) -> list[str]:
    return [
        "## The platform",
        "",
        f"- CPU: model name: {machine['cpu']}",
        f"- CPU(s): {machine['cpus']} (logical CPUs: cores times threads per core)",
        f"- flags of note: {machine['flags']}",
        f"- RAM: {machine['ram']}",
        "",
        "`CPU(s)` counts logical CPUs, the hardware threads the system schedules",
        "on, not sockets or physical cores. The flags list the instruction-set",
        "extensions: vector extensions such as AVX2 or NEON are what fast float",
        "and int8 kernels of an inference runtime use.",
        "",
        "## Model",
        "",
        f"Total params: {params or 'n/a'} (the summary NativeModel prints).",
        "",
    ]


def _metric_lines(table: _Table) -> list[str]:
    value = table.value
    lines = [
        "## Metrics of every variant",
        "",
        "| variant | accuracy | mean precision | mean sensitivity | G-mean "
        "| inference time |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for v in VARIANTS:
        lines.append(
            f"| {v} | {value(v, 'Accuracy')} | {value(v, 'Mean precision')} | "
            f"{value(v, 'Mean sensitivity')} | {value(v, 'G-mean')} | "
            f"{value(v, 'Mean inference time')} |"
        )
    return lines


def _answer_lines(table: _Table, sizes: dict) -> list[str]:
    value, accuracy = table.value, table.accuracy
    int8 = [v for v in VARIANTS if v.startswith("tflite-int8") and v in table.metrics]
    best = max(int8, key=accuracy) if int8 else "tflite-int8-0.8"
    fp32_b, int8_b = _bytes(sizes["fp32"]), _bytes(sizes.get("int8-0.8", ""))
    return [
        "## Model sizes",
        "",
        f"- FP32 model: {sizes['fp32']}",
        f"- INT8 model (tflite-int8-0.8): {sizes.get('int8-0.8', 'n/a')}",
        f"- the INT8 model is {fp32_b / int8_b:.2f} times smaller",
        "",
        "## Question 1: how does the TFLite FP32 model compare with the native model?",
        "",
        f"The accuracy is {value('native', 'Accuracy')} natively and "
        f"{value('tflite-fp32', 'Accuracy')} with TFLite FP32: the conversion "
        "keeps every weight as a 32-bit float, so the predictions agree, while "
        f"one image takes {value('tflite-fp32', 'Mean inference time')} instead "
        f"of {value('native', 'Mean inference time')}.",
        "",
        "## Question 2: how does the best INT8 model compare with FP32?",
        "",
        f"The best INT8 model here is {best} (accuracy {accuracy(best):.3f} "
        f"against {accuracy('tflite-fp32'):.3f} for FP32), at "
        f"{value(best, 'Mean inference time')} per image, and its file is about "
        "a quarter of the FP32 one.",
        "",
        "## Question 3: how does the calibration set size change INT8 quality?",
        "",
        "Accuracy by calibration share: "
        + ", ".join(f"{v.rsplit('-', 1)[1]}: {accuracy(v):.3f}" for v in int8)
        + ". A larger calibration set gives activation ranges closer to those "
        "of the test images; on this small data set the differences are small.",
        "",
        "## Question 4: how does the one-class calibration compare with the others?",
        "",
        f"Calibrated on one class only, the model reaches "
        f"{accuracy('tflite-imbint8'):.3f}: the ranges of the activations fit "
        "that class and clip the others, which usually costs some accuracy "
        "compared with the balanced calibration sets.",
        "",
    ]


def add_to_submission(dest: Path, results: Path, git, when: dt.datetime) -> list[str]:
    """Commit the lab 02 work in the example submission ``dest``.

    ``git(cwd, *args, when=...)`` runs git as the demo student. Returns the
    subjects of the commits made.
    """
    from grading.private.reference.overlay import reference_files

    for student_path, reference in reference_files(LAB).items():
        shutil.copy2(reference, dest / student_path)
        git(dest, "add", student_path)
    commits = ["course: Implement the quantized models of lab 02"]
    git(
        dest,
        "commit",
        "--quiet",
        "-m",
        commits[-1],
        "-m",
        "FP32Model converts the Keras model as it is; INT8Model quantizes it\n"
        "fully to int8 with a calibration set; ImbalancedINT8Model calibrates\n"
        "on one class.",
        when=when,
    )
    folder = dest / "summaries" / LAB
    write_summary(results, folder)
    git(dest, "add", f"summaries/{LAB}")
    commits.append("summary: Add the results and answers of lab 02")
    git(
        dest,
        "commit",
        "--quiet",
        "-m",
        commits[-1],
        when=when + dt.timedelta(minutes=1),
    )
    return commits
