"""A synthetic class of lab-03 submissions, built in the tests.

Each honest student has code of their own (``fixtures/code/<name>.txt``),
numbers drawn from their own random run, confusion matrices drawn from
their own counts, and answers of their own (``fixtures/answers.toml``). The
numbers imitate the Oxford-IIIT Pet test set (3669 images, so accuracies are
multiples of 1/3669); the confusion matrices share the systematic confusions
of one model (the same breeds get mixed up by everyone) plus each run's own
noise, which is what makes honest matrices look alike.

The embedded default is simulated too: one seeded "reference run" on a
10-class set of 120 images gives metrics, images and a results folder in
the lab's layout (``*-metrics.md``, ``*-confusion-matrix.png``,
``model-sizes.md``), from which the test's embedded-default data is made
with :func:`grading.private.similarity.embedded.build_from`.
"""

from __future__ import annotations

import io
import os
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from . import code_builder

FIXTURES = Path(__file__).parent / "fixtures"
SUMMARY_DIR = "summaries/l03_pruning_clustering"
VARIANTS = [f"clustered-{k}-fp32" for k in (2, 4, 8, 16, 32)] + [
    f"pruned-{s}-fp32" for s in (0.2, 0.4, 0.5)
]
BASE_ACCURACY = dict(
    zip(VARIANTS, (0.55, 0.74, 0.81, 0.83, 0.84, 0.835, 0.83, 0.82), strict=True)
)
BASE_DEFLATION = dict(
    zip(VARIANTS, (92.3, 89.0, 84.8, 79.0, 73.6, 23.1, 37.4, 44.5), strict=True)
)
FP32_BYTES = 16_420_000
PET_TEST = 3669


def answers() -> dict[str, dict[str, str]]:
    """Return the answers fixture: student -> question id -> text."""
    return tomllib.loads((FIXTURES / "answers.toml").read_text(encoding="utf-8"))


@dataclass
class Run:
    """The numbers and confusion counts of one run of all variants."""

    metrics: dict[str, dict[str, float]]
    zip: dict[str, tuple[float, int]]
    counts: dict[str, np.ndarray]
    original_bytes: int = FP32_BYTES
    samples: int = PET_TEST


def pet_run(seed: int) -> Run:
    """Return an independent run on the Pet test set (37 classes)."""
    rng = np.random.default_rng(seed)
    systematic = np.random.default_rng(1234)  # the model's own confusions
    base = np.full((37, 37), 0.004)
    np.fill_diagonal(base, 0.0)
    for _ in range(30):
        i, j = systematic.integers(0, 37, 2)
        if i != j:
            base[i, j] += 0.05
    metrics, zips, counts = {}, {}, {}
    for variant in VARIANTS:
        accuracy = round(rng.normal(BASE_ACCURACY[variant], 0.01) * PET_TEST) / PET_TEST
        metrics[variant] = {
            "accuracy": accuracy,
            "precision": round(accuracy + rng.normal(0.012, 0.006), 7),
            "sensitivity": round(accuracy + rng.normal(0.0, 0.004), 7),
            "g_mean": round(accuracy - abs(rng.normal(0.03, 0.01)), 7),
            "inference_ms": round(float(rng.normal(14.0, 1.5)), 3),
        }
        percent = round(float(rng.normal(BASE_DEFLATION[variant], 0.4)), 1)
        size = int(FP32_BYTES * (1 - percent / 100) + rng.integers(-900, 900))
        zips[variant] = (percent, size)
        p = base * np.exp(rng.normal(0, 0.3, base.shape))
        np.fill_diagonal(p, 0.0)
        p = p / p.sum(axis=1, keepdims=True) * (1 - accuracy)
        np.fill_diagonal(p, accuracy)
        counts[variant] = np.stack([rng.multinomial(99, row / row.sum()) for row in p])
    return Run(metrics, zips, counts)


def default_run() -> Run:
    """Return the simulated reference run on the embedded default (10 classes)."""
    rng = np.random.default_rng(2024)
    metrics, zips, counts = {}, {}, {}
    for variant in VARIANTS:
        matrix = np.zeros((10, 10), dtype=int)
        for truth in range(10):
            right = int(rng.integers(7, 13))
            matrix[truth, truth] = right
            for _ in range(12 - right):
                matrix[truth, int(rng.integers(0, 10))] += 1
        accuracy = np.trace(matrix) / matrix.sum()
        metrics[variant] = {
            "accuracy": round(float(accuracy), 6),
            "precision": round(float(accuracy + rng.normal(0.03, 0.01)), 6),
            "sensitivity": round(float(accuracy), 6),
            "g_mean": round(float(accuracy - 0.08), 6),
            "inference_ms": 0.15,
        }
        percent = round(float(rng.normal(BASE_DEFLATION[variant], 0.3)), 1)
        zips[variant] = (percent, int(120904 * (1 - percent / 100)))
        counts[variant] = matrix
    return Run(metrics, zips, counts, original_bytes=120904, samples=120)


# ---------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------


def _blues(shade: np.ndarray) -> np.ndarray:
    """Map fractions in [0, 1] to a white-to-blue colour ramp (uint8 RGB)."""
    low, high = np.array([247, 251, 255]), np.array([8, 48, 107])
    return (low + (high - low) * shade[..., None]).astype(np.uint8)


def draw_matrix(counts: np.ndarray, title: str, cell: int = 14) -> bytes:
    """Draw a confusion matrix heat map like the course's, as PNG bytes."""
    n = counts.shape[0]
    rows = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    side = n * cell
    canvas = np.full((side + 120, side + 160, 3), 255, dtype=np.uint8)
    cells = np.repeat(np.repeat(_blues(rows), cell, axis=0), cell, axis=1)
    canvas[60 : 60 + side, 80 : 80 + side] = cells
    bar = _blues(np.linspace(1, 0, side))[:, None, :]
    canvas[60 : 60 + side, side + 100 : side + 120] = bar
    image = Image.fromarray(canvas)
    draw = ImageDraw.Draw(image)
    draw.text((80, 10), title, fill="black")
    for i in range(0, n, 6):
        draw.text((10, 60 + i * cell), f"class {i}", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def resave(png: bytes, scale: float = 0.9, fmt: str = "PNG") -> bytes:
    """Return an image re-saved the way a copier would: scaled and re-encoded."""
    with Image.open(io.BytesIO(png)) as image:
        size = (int(image.width * scale), int(image.height * scale))
        out = image.convert("RGB").resize(size, Image.LANCZOS)
    buffer = io.BytesIO()
    out.save(buffer, format=fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------

HEADINGS = {
    "plain": [
        "Question 1: how do quantization, pruning and clustering compare?",
        "Question 2: how many times smaller than the FP32 TFLite model?",
        "Question 3: what does ZIP deflation mean for the optimized models?",
        "Question 4: which method gives the smallest and best-performing model?",
    ],
    "reworded": [
        "Quantization vs pruning vs clustering in their best variants",
        "How many times smaller than the uncompressed FP32 model",
        "What is deflation in ZIP and how does it relate to the optimizations",
        "Which gives the smallest and best model, and does one dominate",
    ],
    "polish": [
        "Pytanie 1: porównanie kwantyzacji, przycinania i klasteryzacji",
        "Pytanie 2: ile razy mniejszy od modelu FP32?",
        "Pytanie 3: co oznacza deflacja ZIP?",
        "Pytanie 4: która metoda daje najmniejszy i najlepszy model?",
    ],
}


def _fraction(value: float, style: str) -> str:
    return f"{value * 100:.5f}%" if style == "percent" else f"{value:.7f}".rstrip("0")


def summary_markdown(
    student: str,
    run: Run,
    texts: dict[str, str],
    *,
    style: str = "tables",
    headings: str = "plain",
    images: dict[str, str] | None = None,
) -> str:
    """Return a summary in one of the layouts students use."""
    images = images or {}
    lines = [f"# Lab 03 summary ({student})", ""]
    keys = ("accuracy", "precision", "sensitivity", "g_mean")
    if style == "bullets":
        for variant in VARIANTS:
            m = run.metrics[variant]
            lines += [f"## {variant}", ""]
            lines += [
                f"- {k.replace('_', '-')}: {_fraction(m[k], style)}" for k in keys
            ]
            lines += [f"- inference time: {m['inference_ms']} ms", ""]
            percent, size = run.zip[variant]
            lines += [f"- deflated {percent}%", f"- ZIP size: {size} bytes", ""]
            if variant in images:
                lines += [f"![confusion matrix]({images[variant]})", ""]
    else:
        for family in ("clustered", "pruned"):
            lines += [f"## {family.title()} models", ""]
            lines += [
                "| Variant | Accuracy | Precision | Sensitivity | G-mean | Time [ms] |",
                "| --- | --- | --- | --- | --- | --- |",
            ]
            for variant in (v for v in VARIANTS if v.startswith(family)):
                m = run.metrics[variant]
                cells = [_fraction(m[k], style) for k in keys]
                lines.append(
                    f"| {variant} | {' | '.join(cells)} | {m['inference_ms']} |"
                )
            lines.append("")
        lines += [
            "## ZIP deflation",
            "",
            "| Model | Deflated [%] | ZIP size [B] |",
            "| --- | --- | --- |",
        ]
        for variant in VARIANTS:
            percent, size = run.zip[variant]
            lines.append(f"| {variant} | {percent} | {size} |")
        lines += ["", "## Confusion matrices", ""]
        for variant in VARIANTS:
            if variant in images:
                lines += [f"### {variant}", "", f"![{variant}]({images[variant]})", ""]
    lines += ["## Answers", ""]
    for number, heading in enumerate(HEADINGS[headings], start=1):
        text = texts.get(f"q{number}")
        if text:
            lines += [f"### {heading}", "", text, ""]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Submissions
# ---------------------------------------------------------------------------


@dataclass
class Student:
    """One synthetic submission."""

    name: str
    code: str | None
    run: Run
    texts: dict[str, str]
    style: str = "tables"
    headings: str = "plain"
    images: dict[str, bytes] = field(default_factory=dict)
    image_ext: str = ".png"
    files: dict[str, bytes] = field(default_factory=dict)


def images_of(run: Run, title: str = "") -> dict[str, bytes]:
    """Return the confusion-matrix PNG of every variant of a run."""
    return {v: draw_matrix(run.counts[v], f"{title} {v}") for v in VARIANTS}


def write_submission(root: Path, student: Student) -> Path:
    """Write a student's repository (one commit) and return its folder."""
    lab = root / "dl_in_iot_course" / "l03_pruning_clustering"
    lab.mkdir(parents=True, exist_ok=True)
    stub_init = code_builder.STUB.parent / "__init__.py"
    (lab / "__init__.py").write_bytes(stub_init.read_bytes())
    (lab / code_builder.STUB.name).write_text(
        student.code if student.code is not None else code_builder.STUB.read_text(),
        encoding="utf-8",
    )
    summary = root / SUMMARY_DIR
    (summary / "img").mkdir(parents=True, exist_ok=True)
    refs = {}
    for variant, data in student.images.items():
        name = f"img/{variant}-confusion-matrix{student.image_ext}"
        (summary / name).write_bytes(data)
        refs[variant] = name
    (summary / "summary.md").write_text(
        summary_markdown(
            student.name,
            student.run,
            student.texts,
            style=student.style,
            headings=student.headings,
            images=refs,
        ),
        encoding="utf-8",
    )
    for rel, data in student.files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "l03_pruning_clustering: Add the lab")
    return root


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` with a fixed identity."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Student",
        "GIT_AUTHOR_EMAIL": "student@example.org",
        "GIT_COMMITTER_NAME": "Student",
        "GIT_COMMITTER_EMAIL": "student@example.org",
    }
    return subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def write_default_results(folder: Path, run: Run) -> Path:
    """Write the simulated reference run in the layout ``lab`` writes."""
    folder.mkdir(parents=True, exist_ok=True)
    labels = (
        ("Accuracy", "accuracy"),
        ("Mean precision", "precision"),
        ("Mean sensitivity", "sensitivity"),
        ("G-mean", "g_mean"),
    )
    rows = [
        "| model | size | ZIP size | deflation | times smaller after ZIP |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for variant in VARIANTS:
        m = run.metrics[variant]
        table = [f"# Metrics of {variant}", "", "| Metric | Value |", "| --- | ---: |"]
        table += [f"| {label} | {m[key]:.6f} |" for label, key in labels]
        table += [
            f"| Mean inference time | {m['inference_ms']:.3f} ms |",
            f"| Test samples | {run.samples} |",
        ]
        (folder / f"{variant}-metrics.md").write_text("\n".join(table) + "\n")
        (folder / f"{variant}-confusion-matrix.png").write_bytes(
            draw_matrix(run.counts[variant], f"default {variant}")
        )
        percent, size = run.zip[variant]
        stem = variant.removesuffix("-fp32")
        rows.append(
            f"| tiny-cnn-{stem}.tflite | {run.original_bytes} B | {size} B "
            f"| {percent} % | {run.original_bytes / size:.2f} |"
        )
    (folder / "model-sizes.md").write_text("\n".join(rows) + "\n")
    return folder
