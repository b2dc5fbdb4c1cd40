"""The grading-accuracy corpus: 15 submissions and the instructor's points.

Each submission is a template version (ours, or a commit of the original
course), the student's commits, and the points an instructor gives for each
automatic item, decided by reading the code, the history and the summary
*before* the grader ran, with one reason per deduction. The instructor
applies the lab's rubric: its items, the partial-credit weights of its
checks (docs/hidden-tests.md), and only what the student's template version
asks (a 2021 fork is not asked to strip or to make the model trainable).

Weights the reasons refer to (share of the item):

- TFMOTOptimizedModel (2): loads 0.5, outputs 1, test_inference 0.5, outputs
  verified by the grader 1 (of 3);
- ClusteredModel (4): cluster call 1, trainable 0.5*, fit 1, strip call
  0.5*, loads 1, k values 1, stripped 1* (of 6; 4 without the starred ones);
- PrunedModel (4): prune call 1, UpdatePruningStep 1, fit 1, strip call
  0.5**, loads 1, sparsity 1, stripped 1** (of 6.5; 5 without **).

(* asked by our template and the original's from 2025-03-31; ** by ours
only.) ZIP deflation (2): the share of the 8 variants with both a deflation
percentage and a ZIP size. Git history (2): the course's convention for
forks of the original (areas of one or more levels, past tense allowed),
our README's for our template; strict on subjects that say nothing.
"""

from __future__ import annotations

from corpus_build import (
    L02_MODULE,
    MODULE,
    PNG,
    SUMMARY_DIR,
    Base,
    Commit,
    Drop,
    Import,
    Method,
    Submission,
    Uncomment,
    Write,
)
from snippets import (
    CLUSTER_2021_NO_STRIP,
    CLUSTER_2021_STRIP,
    CLUSTER_2025,
    CLUSTER_2025_NO_STRIP,
    CLUSTER_KERAS3,
    CLUSTER_KMEANS,
    CLUSTER_OURS,
    L02_FP32MODEL_2021,
    L02_FP32MODEL_OURS,
    PRUNE_COURSE_NO_STRIP,
    PRUNE_COURSE_STRIP,
    PRUNE_KERAS3,
    PRUNE_NO_STEP,
    PRUNE_OURS,
    PRUNE_OURS_SUMMARIES,
    PRUNE_POLYNOMIAL,
    RUNNER_CLASS_ID,
    RUNNER_LITERT,
    RUNNER_LITERT_LOCAL,
    RUNNER_NO_ALLOCATE,
    RUNNER_TF_LITE,
)

from summaries import VARIANTS, summary

IMPORT_FP32MODEL = (
    "from dl_in_iot_course.l02_quantization.quantization_experiments import FP32Model"
)
RUNNER_METHODS = (
    "prepare_model",
    "preprocess_input",
    "run_inference",
    "postprocess_outputs",
)
FULL = {
    "tfmot_optimized_model": (2.0, ""),
    "clustered_model": (4.0, ""),
    "pruned_model": (4.0, ""),
    "deflation": (2.0, ""),
    "git_history": (2.0, ""),
}
ANSWERED = {f"question_{i}": (1.0, "") for i in range(1, 5)}


#: Why credit that no written file proves is not given, in the reasons
#: below: what the tests saw in the student's process counts only where the
#: model or the outputs it wrote prove it (grading/hidden/proof.py); the
#: instructor gives the same, since the work the task asks for is that file.
PROOF = (
    "what the tests saw in the student's process counts only where a file "
    "it wrote proves it (grading/hidden/proof.py)"
)


def expect(**changes: tuple[float, str]) -> dict[str, tuple[float, str]]:
    """Full points but for the items given as ``item=(points, reason)``."""
    return {**FULL, **changes}


def summary_files(text: str, variants: list[str] | None = None) -> tuple:
    """The summary and its confusion-matrix images."""
    images = tuple(
        Write(f"{SUMMARY_DIR}/img/{v}-confusion-matrix.png", PNG)
        for v in (VARIANTS if variants is None else variants)
    )
    return (Write(f"{SUMMARY_DIR}/summary.md", text), *images)


def work(
    runner,
    cluster,
    prune,
    subjects: tuple[str, str, str, str],
    summary_text,
    *,
    extra=(),
    day=3,
    author=None,
    variants=None,
) -> tuple[Commit, ...]:
    """Four commits: the runner, clustering, pruning, the summary."""
    kwargs = {"author": author} if author else {}
    return (
        Commit(subjects[0], (*extra, *runner), day=day, **kwargs),
        Commit(subjects[1], cluster, day=day + 1, **kwargs),
        Commit(subjects[2], prune, day=day + 2, **kwargs),
        Commit(
            subjects[3], summary_files(summary_text, variants), day=day + 5, **kwargs
        ),
    )


OURS_GOOD = (
    "l03_pruning_clustering: Implement TFMOTOptimizedModel",
    "l03_pruning_clustering: Cluster and fine-tune in ClusteredModel",
    "l03_pruning_clustering: Prune and fine-tune in PrunedModel",
    "summaries: Add the lab 03 results and answers",
)
COURSE_GOOD = (
    "l03_pruning_clustering: Implemented TFMOTOptimizedModel",
    "l03_pruning_clustering: pruning_clustering_experiments: Added model clustering",
    "l03_pruning_clustering: Added model pruning",
    "summaries: l03_pruning_clustering: Added summary",
)
V2021, V2024, V2025_03, V2025_04 = "78dc305", "b6d430e", "607d40e", "9ed40d9"
#: antmicro-2025-03-tasks: the module of 2025-03 and 2025-04, a README that
#: asks neither to make the model trainable nor to strip the clustering; only
#: the history tells it apart.
V2025_TASKS = "3a5e214"
ZOFIA = "Zofia Wiśniewska <zofia.wisniewska@student.example.edu>"
L02_SUMMARY_PL = (
    "# Laboratorium 2: kwantyzacja\n\n"
    "Model FP32 w TFLite działa tak samo jak model natywny; kwantyzację INT8 "
    "zrobię w następnym tygodniu.\n"
)

SUBMISSIONS: list[Submission] = [
    Submission(
        name="ours-litert",
        version="ours",
        commit="",
        commits=work(
            (Method(MODULE, "TFMOTOptimizedModel", RUNNER_LITERT),),
            (Method(MODULE, "ClusteredModel", CLUSTER_OURS),),
            (Method(MODULE, "PrunedModel", PRUNE_OURS),),
            OURS_GOOD,
            summary(),
        ),
        expected=dict(FULL),
        manual=dict(ANSWERED),
        note="fully correct on our template, LiteRT used directly",
    ),
    Submission(
        name="ours-fp32model",
        version="ours",
        commit="",
        commits=(
            Commit(
                "l02_quantization: Implement FP32Model",
                (Method(L02_MODULE, "FP32Model", L02_FP32MODEL_OURS),),
                day=1,
                author="Jan Kowalski <jan.kowalski@student.example.edu>",
            ),
            *work(
                (
                    Import(MODULE, IMPORT_FP32MODEL),
                    Base(MODULE, "TFMOTOptimizedModel", "FP32Model"),
                    Drop(MODULE, "TFMOTOptimizedModel", RUNNER_METHODS),
                ),
                (Method(MODULE, "ClusteredModel", CLUSTER_OURS),),
                (Method(MODULE, "PrunedModel", PRUNE_OURS_SUMMARIES),),
                (
                    "l03_pruning_clustering: Reuse FP32Model for TFMOTOptimizedModel",
                    "l03_pruning_clustering: Implement ClusteredModel",
                    "l03_pruning_clustering: Implement PrunedModel with summaries",
                    "summaries: Add the lab 03 summary in Polish",
                ),
                summary(lang="pl", style="bullets"),
                author="Jan Kowalski <jan.kowalski@student.example.edu>",
            ),
        ),
        expected=dict(FULL),
        manual=dict(ANSWERED),
        note="fully correct on our template, the runner inherited from lab 02's "
        "FP32Model; PruningSummaries to self.logdir (needs TensorBoard)",
    ),
    Submission(
        name="ours-keras3",
        version="ours",
        commit="",
        commits=work(
            (Method(MODULE, "TFMOTOptimizedModel", RUNNER_LITERT),),
            (
                Import(MODULE, "import keras"),
                Method(MODULE, "ClusteredModel", CLUSTER_KERAS3),
            ),
            (Method(MODULE, "PrunedModel", PRUNE_KERAS3),),
            (
                "clustering",
                "Update pruning_clustering_experiments.py",
                "fix",
                "l03_pruning_clustering: add summary",
            ),
            summary(
                variants=[],
                note="Clustering and pruning crash with a ValueError from TFMOT, "
                "I could not find out why, so only the FP32 model is here.",
            ),
            variants=[],
        ),
        expected=expect(
            clustered_model=(
                0.0,
                "-4: `import keras` loads a Keras 3 model, which cluster_weights "
                "refuses (it returns None): nothing is clustered, fitted, stripped "
                "or written; and on a Keras 3 model `model.trainable = True` leaves "
                "the loaded layers frozen",
            ),
            pruned_model=(
                0.0,
                "-4: the Keras 3 model makes prune_low_magnitude raise; nothing of "
                "the pruning runs",
            ),
            deflation=(0.0, "-2: no compressed model reported"),
            git_history=(
                0.5,
                "-1.5: every one of the four commits breaks a rule: 'clustering' "
                "has no area and says little, 'Update "
                "pruning_clustering_experiments.py' is the web editor's default, "
                "'fix' says nothing, one summary lower-case",
            ),
        ),
        manual={f"question_{i}": (0.0, "no results to compare") for i in range(1, 5)},
        codes=("keras3",),
        note="the Keras 3 trap on our template, sloppy history",
    ),
    Submission(
        name="ours-no-update-step",
        version="ours",
        commit="",
        commits=work(
            (Method(MODULE, "TFMOTOptimizedModel", RUNNER_LITERT),),
            (Method(MODULE, "ClusteredModel", CLUSTER_OURS),),
            (Method(MODULE, "PrunedModel", PRUNE_NO_STEP),),
            OURS_GOOD,
            summary(
                variants=VARIANTS[:5],
                note="Pruning stops with an InvalidArgumentError during fit, so "
                "there are no pruned results.",
            ),
            variants=VARIANTS[:5],
        ),
        expected=expect(
            pruned_model=(
                0.0,
                "-4: fit without UpdatePruningStep fails (the README asks for the "
                "callback): no fine-tuning, strip or model; the prune call with "
                "self.sched is right, but no pruned model shows it, and "
                f"{PROOF}",
            ),
            deflation=(1.25, "-0.75: the three pruned variants are missing"),
        ),
        manual=dict(ANSWERED),
        codes=("update_pruning_step",),
        note="pruning without UpdatePruningStep on our template",
    ),
    Submission(
        name="ours-kmeans",
        version="ours",
        commit="",
        commits=work(
            (Method(MODULE, "TFMOTOptimizedModel", RUNNER_LITERT),),
            (Method(MODULE, "ClusteredModel", CLUSTER_KMEANS),),
            (Method(MODULE, "PrunedModel", PRUNE_OURS),),
            (
                "l03_pruning_clustering: Added TFMOTOptimizedModel",
                "l03_pruning_clustering: Implemented clustering",
                "l03_pruning_clustering: Implemented pruning",
                "summaries: Added summary",
            ),
            summary(style="bullets"),
        ),
        expected=expect(
            clustered_model=(
                3.33,
                "-0.67: KMEANS_PLUS_PLUS centroids where the README asks for linear "
                "initialisation (the cluster call, 1 of 6)",
            ),
            git_history=(
                1.7,
                "-0.3: four past-tense subjects where our README asks for the "
                "imperative mood",
            ),
        ),
        manual=dict(ANSWERED),
        codes=("centroid_init",),
        note="KMEANS_PLUS_PLUS initialisation on our template",
    ),
    Submission(
        name="ours-giant-commit",
        version="ours",
        commit="",
        commits=(
            Commit(
                "lab 3",
                (
                    Method(MODULE, "TFMOTOptimizedModel", RUNNER_LITERT),
                    Method(MODULE, "ClusteredModel", CLUSTER_OURS),
                    Method(MODULE, "PrunedModel", PRUNE_OURS),
                    *summary_files(summary()),
                    Write("build/results/clustered-2-fp32-metrics.md", "| a | b |\n"),
                    Write("build/results/pet.clustered-2.tflite", b"TFL3" * 64),
                ),
                day=9,
            ),
        ),
        expected=expect(
            git_history=(
                0.0,
                "-2: one commit 'lab 3' holds all the code and the summary, with "
                "build/ results and a model file committed",
            )
        ),
        manual=dict(ANSWERED),
        note="correct code, junk history in one giant commit",
    ),
    Submission(
        name="2021-correct",
        version="antmicro-2021-11",
        commit=V2021,
        commits=work(
            (Method(MODULE, "TFMOTOptimizedModel", RUNNER_TF_LITE),),
            (Method(MODULE, "ClusteredModel", CLUSTER_2021_STRIP),),
            (Method(MODULE, "PrunedModel", PRUNE_COURSE_STRIP), Uncomment(MODULE)),
            COURSE_GOOD,
            summary(theory=True),
            author="Piotr Zieliński <pzielinski@student.example.edu>",
        ),
        expected=dict(FULL),
        manual={**ANSWERED, "theory_quantization": (2.0, "")},
        note="fully correct on the 2021 template (strips both, though not asked)",
    ),
    Submission(
        name="2021-fp32model-no-strip",
        version="antmicro-2021-11",
        commit=V2021,
        commits=(
            Commit(
                "l02 done",
                (Method(L02_MODULE, "FP32Model", L02_FP32MODEL_2021),),
                day=1,
            ),
            *work(
                (
                    Import(MODULE, IMPORT_FP32MODEL),
                    Base(MODULE, "TFMOTOptimizedModel", "FP32Model"),
                ),
                (Method(MODULE, "ClusteredModel", CLUSTER_2021_NO_STRIP),),
                (
                    Method(MODULE, "PrunedModel", PRUNE_COURSE_NO_STRIP),
                    Uncomment(MODULE),
                ),
                (
                    "l03 clustering",
                    "pruning works",
                    "Add files via upload",
                    "summaries: l03_pruning_clustering: Added summary",
                ),
                summary(style="bullets", unstripped_clusters=True, theory=True),
            ),
        ),
        expected=expect(
            git_history=(
                1.0,
                "-1: 'l02 done', 'l03 clustering' and 'pruning works' lack the "
                "area and say little; 'Add files via upload' is GitHub's default",
            )
        ),
        manual={
            **ANSWERED,
            "question_3": (
                0.5,
                "does not notice that the unstripped models hardly compress",
            ),
            "theory_quantization": (2.0, ""),
        },
        note="2021 template via lab 02's FP32Model; clustering and pruning not "
        "stripped, which that README does not ask",
    ),
    Submission(
        name="2024-class-id-outputs",
        version="antmicro-2024-03",
        commit=V2024,
        commits=work(
            (
                Import(MODULE, "import numpy as np"),
                Method(MODULE, "TFMOTOptimizedModel", RUNNER_CLASS_ID),
            ),
            (Method(MODULE, "ClusteredModel", CLUSTER_2021_NO_STRIP),),
            (Method(MODULE, "PrunedModel", PRUNE_COURSE_STRIP), Uncomment(MODULE)),
            COURSE_GOOD,
            summary(percent_only=tuple(VARIANTS[5:])),
        ),
        expected=expect(
            tfmot_optimized_model=(
                0.0,
                "-2: postprocess_outputs returns the class id (shape (1,)) "
                "instead of the class scores: the outputs are wrong; the model "
                "loads, but the ids are one class for every test input, which "
                f"proves no run, and {PROOF}",
            ),
            deflation=(1.25, "-0.75: no ZIP size for the three pruned models"),
        ),
        manual=dict(ANSWERED),
        codes=("wrong_outputs",),
        note="outputs of the wrong shape on the 2024 template; clustering not "
        "stripped nor made trainable (not asked by that README)",
    ),
    Submission(
        name="2025-cluster-no-strip",
        version="antmicro-2025-04",
        commit=V2025_04,
        commits=work(
            (Method(MODULE, "TFMOTOptimizedModel", RUNNER_LITERT_LOCAL),),
            (Method(MODULE, "ClusteredModel", CLUSTER_2025_NO_STRIP),),
            (Method(MODULE, "PrunedModel", PRUNE_COURSE_NO_STRIP),),
            COURSE_GOOD,
            summary(unstripped_clusters=True),
        ),
        expected=expect(
            clustered_model=(
                3.0,
                "-1: the 2025 README asks to strip the clustering before "
                "converting; not done, so the .tflite keeps the clustering ops "
                "(strip call 0.5 + stripped 1 of 6)",
            ),
        ),
        manual={
            **ANSWERED,
            "question_3": (0.5, "misses why clustering hardly compressed"),
        },
        codes=("unstripped",),
        note="clustering without strip on the 2025 template (asked there); "
        "pruning without strip (never asked by the original)",
    ),
    Submission(
        name="2025-own-polynomial",
        version="antmicro-2025-04",
        commit=V2025_04,
        commits=work(
            (Method(MODULE, "TFMOTOptimizedModel", RUNNER_TF_LITE),),
            (Method(MODULE, "ClusteredModel", CLUSTER_2025),),
            (
                Import(MODULE, "import numpy as np"),
                Method(MODULE, "PrunedModel", PRUNE_POLYNOMIAL),
            ),
            ("wip", "fix", "asdf", "final"),
            summary(),
            author="root <root@localhost>",
        ),
        expected=expect(
            pruned_model=(
                2.4,
                "-1.6: an own PolynomialDecay replaces the given self.sched (the "
                "prune call, 1 of 5); its end_step is computed from the whole data "
                "set and never reached in 4 epochs, so pruned-0.5 is not 50 % "
                "sparse (1 of 5)",
            ),
            git_history=(
                0.0,
                "-2: 'wip', 'fix', 'asdf', 'final' say nothing; author root@localhost",
            ),
        ),
        manual=dict(ANSWERED),
        codes=("wrong_schedule",),
        note="own PolynomialDecay on the 2025 template, junk history",
    ),
    Submission(
        name="2025-no-allocate",
        version="antmicro-2025-03",
        commit=V2025_03,
        commits=work(
            (Method(MODULE, "TFMOTOptimizedModel", RUNNER_NO_ALLOCATE),),
            (Method(MODULE, "ClusteredModel", CLUSTER_2025),),
            (Method(MODULE, "PrunedModel", PRUNE_COURSE_STRIP),),
            COURSE_GOOD,
            summary(),
        ),
        expected=expect(
            tfmot_optimized_model=(
                0.0,
                "-2: allocate_tensors is never called, so every inference fails "
                "with 'Tensor is unallocated'; loading the model works, but the "
                f"outputs are the only proof of the runner, and {PROOF}",
            ),
        ),
        manual=dict(ANSWERED),
        codes=("unallocated",),
        note="a missing allocate_tensors on the 2025-03 template",
    ),
    Submission(
        name="2025-fresh-clone-folder",
        version="antmicro-2025-04",
        commit=V2025_04,
        commits=work(
            (Method(MODULE, "TFMOTOptimizedModel", RUNNER_LITERT_LOCAL),),
            (Method(MODULE, "ClusteredModel", CLUSTER_2025),),
            (Method(MODULE, "PrunedModel", PRUNE_COURSE_STRIP),),
            COURSE_GOOD,
            summary(style="bullets"),
            extra=(
                Import(
                    MODULE,
                    "import logging\n\nlog = logging.getLogger(__name__)\n"
                    "log.addHandler(logging.FileHandler('logs/lab03.log'))",
                ),
            ),
        ),
        expected=dict(FULL),
        manual=dict(ANSWERED),
        codes=("fresh_clone_folder",),
        note="correct code that opens logs/lab03.log at import; logs/ is not in "
        "the repository: an instructor creates it and runs again (no deduction)",
    ),
]


SUBMISSIONS += [
    Submission(
        name="2025-fork-both-labs",
        version="antmicro-2025-04",
        commit=V2025_04,
        commits=(
            Commit(
                "l02_quantization: Implemented FP32Model",
                (
                    Method(L02_MODULE, "FP32Model", L02_FP32MODEL_2021),
                    Write("summaries/l02_quantization/summary.md", L02_SUMMARY_PL),
                ),
                day=1,
                author=ZOFIA,
            ),
            Commit(
                "l03_pruning_clustering: Implemented TFMOTOptimizedModel and "
                "clustering",
                (
                    Method(MODULE, "TFMOTOptimizedModel", RUNNER_LITERT_LOCAL),
                    Method(MODULE, "ClusteredModel", CLUSTER_2025),
                ),
                day=3,
                author=ZOFIA,
            ),
            Commit(
                COURSE_GOOD[2],
                (Method(MODULE, "PrunedModel", PRUNE_COURSE_STRIP),),
                day=5,
                author=ZOFIA,
            ),
            Commit(
                COURSE_GOOD[3], summary_files(summary(lang="pl")), day=8, author=ZOFIA
            ),
        ),
        expected=dict(FULL),
        manual=dict(ANSWERED),
        detect_lab=True,
        note="the issue's fork: lab 02 and lab 03 work in exactly 4 student "
        "commits (the runner and the clustering in one), a Polish summary; "
        "graded with no lab and no base, as an instructor runs grade",
    ),
    Submission(
        name="2025-tasks-readme-only",
        version="antmicro-2025-03-tasks",
        commit=V2025_TASKS,
        commits=work(
            (Method(MODULE, "TFMOTOptimizedModel", RUNNER_LITERT_LOCAL),),
            (Method(MODULE, "ClusteredModel", CLUSTER_2025_NO_STRIP),),
            (Method(MODULE, "PrunedModel", PRUNE_COURSE_NO_STRIP),),
            COURSE_GOOD,
            summary(unstripped_clusters=True),
        ),
        expected=dict(FULL),
        manual={
            **ANSWERED,
            "question_3": (0.5, "misses why clustering hardly compressed"),
        },
        note="correct code on 2025-03-tasks, a version only its history tells "
        "from 2025-03 and 2025-04: the clustering is not stripped, which its "
        "README does not ask (the same code costs 1 point on 2025-04)",
    ),
]


def by_name(name: str) -> Submission:
    """Return the corpus entry ``name``."""
    return next(s for s in SUBMISSIONS if s.name == name)
