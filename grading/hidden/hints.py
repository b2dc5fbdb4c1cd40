"""Known error signatures of lab submissions and the hint each one gets.

A failed check says what was expected and what was seen; this module adds
*what to do*. :func:`hint_for` matches the text of a failure (exception type,
message, evidence, the check's own reason code) against :data:`SIGNATURES`,
most specific first, and falls back to "reread the README task".

Each signature is plain data: a stable ``code`` (used in findings, statistics
and tests), regular expressions on the failure text, and the hint. Hints are
written for students and never quote hidden test code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Signature:
    """One known failure.

    Parameters
    ----------
    code : str
        Stable reason code, e.g. ``"keras3"``.
    patterns : tuple of str
        Regular expressions (case-insensitive); any match selects the
        signature. A pattern ``"code:<reason>"`` matches a check's reason code.
    hint : str
        What the student should do. ``{task}`` becomes the README task.
    """

    code: str
    patterns: tuple[str, ...]
    hint: str

    def matches(self, text: str, code: str) -> bool:
        """Return whether the failure text or reason code matches."""
        for pattern in self.patterns:
            if pattern.startswith("code:"):
                if code == pattern[5:]:
                    return True
            elif re.search(pattern, text, re.IGNORECASE | re.DOTALL):
                return True
        return False


SIGNATURES: tuple[Signature, ...] = (
    Signature(
        "not_runnable",
        (r"code:not_runnable",),
        "The grading environment cannot run this task (an optional part of "
        "the course whose packages are not installed there, or a template "
        "version whose converter cannot run beside the course's TensorFlow). "
        "Nothing is wrong with your code on that account: a person grades "
        "this item from your code and committed files.",
    ),
    Signature(
        "keras3",
        (
            r"can only prune an object of the following types",
            r"can only cluster an object of the following types",
            r"cluster_weights.{0,200}keras ?3",
            r"keras ?3.{0,200}(tfmot|model.optimization|cluster|prune)",
            r"keras\.src\.(models|engine)",
            r"'NoneType' object has no attribute '(compile|fit)'",
            r"code:keras3",
        ),
        "This is the Keras 3 / Keras 2 mix-up: TFMOT 0.8 works only with Keras 2 "
        "(the tf-keras package). Use `import tf_keras` (or `tf.keras` with "
        "TF_USE_LEGACY_KERAS=1 set before TensorFlow is imported), never "
        "`import keras`; the course package sets the variable for you. "
        "Then reread {task}.",
    ),
    Signature(
        "not_trainable",
        (r"has no weights to cluster", r"code:not_trainable"),
        "Part of the loaded model is frozen (trainable = False), and clustering "
        "needs trainable weights. Set `model.trainable = True` (and every "
        "layer's `trainable`) before `cluster_weights`. Reread {task}.",
    ),
    Signature(
        "update_pruning_step",
        (
            r"assert_greater_equal",
            r"prune_low_magnitude.{0,80}UpdatePruningStep",
            r"UpdatePruningStep.{0,40}(callback|missing)",
            r"code:update_pruning_step",
        ),
        "Training a pruned model needs the pruning step callback: pass "
        "`callbacks=[tfmot.sparsity.keras.UpdatePruningStep()]` to `fit` "
        "(PruningSummaries is optional). Reread {task}.",
    ),
    Signature(
        "keras_file",
        (
            r"code:keras_file",
            r"HDF5",
            r"\.h5\b.{0,80}(instead|tflite)",
            r"Keras (model )?file",
        ),
        "The file at `self.modelpath` is a Keras model, not a TensorFlow Lite "
        "flatbuffer. Convert the (stripped) model with "
        "`tf.lite.TFLiteConverter.from_keras_model(model).convert()` and write "
        "the returned bytes to `self.modelpath`. Reread {task}.",
    ),
    Signature(
        "unstripped",
        (r"code:unstripped", r"not stripped", r"\bunstripped\b"),
        "Remove the optimization wrappers before converting: "
        "`tfmot.clustering.keras.strip_clustering(model)` or "
        "`tfmot.sparsity.keras.strip_pruning(model)`. A model converted with "
        "the wrappers carries extra training ops and is larger once zipped. "
        "Reread {task}.",
    ),
    Signature(
        "unallocated",
        (
            r"allocate_tensors",
            r"tensors? (is|are|were)? ?(not )?unallocated",
            r"Tensor is unallocated",
            r"code:unallocated",
        ),
        "Call `allocate_tensors()` on the interpreter once, right after creating "
        "it in `prepare_model`, before any `set_tensor`/`invoke`. "
        "Reread {task}.",
    ),
    Signature(
        "float_io",
        (
            r"Got value of type INT8 but expected type FLOAT32",
            r"its (input|output) is float32, not int8",
        ),
        "The converted model still takes and returns float32: for a "
        "full-integer model set both the inference input type and the inference "
        "output type of the converter to int8 (with INT8 built-in ops and a "
        "representative data set). Then the int8 input you quantize fits. "
        "Reread {task}.",
    ),
    Signature(
        "dtype_mismatch",
        (r"Got value of type (FLOAT32|FLOAT64) but expected type INT8",),
        "The model's input is int8: quantize the float input with the input "
        "tensor's scale and zero point (`X / scale + zero_point`, rounded and "
        "clipped to -128..127, as `np.int8`) before `set_tensor`. Reread {task}.",
    ),
    Signature(
        "fresh_clone",
        (
            r"import(ing)? .{0,300}(No such file or directory|FileNotFoundError)",
            r"code:fresh_clone",
        ),
        "Your module fails to import on a fresh clone of the repository: it "
        "opens a file or folder at import time that exists only on your "
        "machine (for example a log file in a folder that is not committed). "
        "Create folders with `Path(...).mkdir(parents=True, exist_ok=True)` "
        "inside the function that needs them, not at import time, and check "
        "with `git clone` into a new folder before pushing.",
    ),
    Signature(
        "module_not_found",
        (r"ModuleNotFoundError", r"No module named"),
        "A module your code imports is not available in the grading "
        "environment. Use only the packages of requirements.txt and commit "
        "every file of your own you import.",
    ),
    Signature(
        "not_implemented",
        (r"NotImplementedError", r"code:not_implemented"),
        "This part is still the stub from the template (it raises "
        "NotImplementedError). Implement it as described in {task}.",
    ),
    Signature(
        "timeout",
        (r"code:timeout", r"did not finish: timeout"),
        "Your code did not finish in time on a tiny data set. Look for "
        "an endless loop, training for more epochs than prepared in "
        "`self.epochs`, or work done per image that could be done once.",
    ),
    Signature(
        "memory",
        (r"code:memory", r"MemoryError", r"memory limit"),
        "Your code ran out of memory on a tiny data set: look for data "
        "loaded many times over or models kept in lists.",
    ),
    Signature(
        "exited",
        (r"code:exited", r"sys\.exit", r"os\._exit", r"SystemExit"),
        "Library code must not end the process: remove `sys.exit`/`os._exit` "
        "(and `exit()`/`quit()`) from the classes; raise an exception instead.",
    ),
)


def task_ref(readme: str, title: str = "") -> str:
    """Return how a hint names the README task: ``"the task 'T' (README#a)"``."""
    if readme and title:
        return f"the task '{title}' in {readme}"
    if readme:
        return readme
    if title:
        return f"the task '{title}' in the lab README"
    return "the task in the lab README"


def match(text: str, code: str = "") -> Signature | None:
    """Return the first known signature matching a failure, or ``None``."""
    for signature in SIGNATURES:
        if signature.matches(text, code):
            return signature
    return None


def hint_for(
    text: str, code: str = "", readme: str = "", title: str = ""
) -> tuple[str, str]:
    """Return ``(code, hint)`` for a failure.

    Parameters
    ----------
    text : str
        Everything known about the failure: message, exception, evidence.
    code : str
        The reason code the check already set (``"unstripped"``), if any.
    readme : str
        README anchor of the rubric item (``"...README.md#task-2-..."``).
    title : str
        Title of the rubric item.

    Returns
    -------
    tuple of str
        The matched signature's code (or ``code``, or ``"failed"``) and the
        hint text, which always names the README task to reread.
    """
    task = task_ref(readme, title)
    signature = match(text, code)
    if signature is None:
        return code or "failed", f"Reread {task} and compare with what was seen."
    return signature.code, signature.hint.format(task=task)
