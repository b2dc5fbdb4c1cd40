"""Hidden tests of lab 03, part 2: structured pruning with NNI.

One run of the student's ``main()`` (fixture ``structured_run`` of the
plugin ``structured_fixtures``) is examined by every test; the files it
wrote are verified again outside the student's process
(``grading/hidden/structured_artifacts.py``).
"""

from __future__ import annotations

import pytest
import structured_fixtures as sf
from grader_plugin import Expected

if not sf.ACTIVE:
    pytest.skip(
        "the structured part is not enabled (plugin not loaded)",
        allow_module_level=True,
    )

ACTIVATION_PRUNERS = ("ActivationAPoZRankPruner", "ActivationMeanRankPruner")


def _pruner(run: sf.Run, expected: str) -> sf.Event:
    run.fail_if_not_runnable(expected)
    events = run.rec.of("pruner")
    if not events:
        raise Expected(expected, "no NNI pruner was created" + run.main_error())
    return events[0]


def _config(run: sf.Run, expected: str) -> list:
    events = run.rec.of("compressor_init")
    run.fail_if_not_runnable(expected)
    if not events:
        raise Expected(expected, "no NNI pruner was created" + run.main_error())
    config = events[0].info.get("config_list")
    if not isinstance(config, list) or not config:
        raise Expected(expected, f"the configuration list is {config!r}")
    return config


def _close(a, b) -> bool:
    try:
        return abs(float(a) - float(b)) < 1e-12
    except (TypeError, ValueError):
        return False


def _main_model(run: sf.Run):
    models = [e.info.get("model") for e in run.rec.of("model_init")]
    return next((m for m in models if m is not None), None)


def _final_linear(model) -> str:
    import torch

    names = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    return names[-1] if names else "fc2"


@pytest.mark.rubric("structured_traced_optimizer", "traced")
def test_traced_optimizer(structured_run):
    """The pruner gets an NNI-traced Adam optimizer at the training rate"""
    run = structured_run
    expected = (
        "the pruner to get nni.trace(torch.optim.Adam)(model.parameters(), "
        "lr=TRAINING_LEARNING_RATE)"
    )
    event = _pruner(run, expected)
    import torch
    from nni.common.serializer import is_traceable

    values = event.info.get("values", {})
    optimizer = values.get("traced_optimizer")
    if optimizer is None and values.get("evaluator") is not None:
        traced = [e for e in run.rec.of("trace") if e.info.get("target") == "Adam"]
        if traced:
            return
    if optimizer is None:
        raise Expected(expected, "the pruner got no traced optimizer")
    if not is_traceable(optimizer):
        raise Expected(
            expected,
            f"a plain {type(optimizer).__name__} (not created through nni.trace)",
            code="not_traced",
        )
    if not isinstance(optimizer, torch.optim.Adam):
        raise Expected(expected, f"a traced {type(optimizer).__name__}, not Adam")
    lr = optimizer.defaults.get("lr")
    want = run.constants.get("TRAINING_LEARNING_RATE")
    if not _close(lr, want):
        raise Expected(expected, f"lr={lr} instead of TRAINING_LEARNING_RATE={want}")
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    if held != event.info.get("param_ids"):
        raise Expected(expected, "the optimizer does not hold the model's parameters")


@pytest.mark.rubric("structured_config_list", "types_and_sparsity")
def test_config_list(structured_run):
    """The configuration list prunes Conv2d and Linear layers to SPARSITY"""
    run = structured_run
    expected = (
        "a configuration list that prunes the Conv2d and Linear layers with "
        "sparsity (or sparsity_per_layer) SPARSITY"
    )
    config = _config(run, expected)
    kept = [c for c in config if isinstance(c, dict) and not c.get("exclude")]
    types = {t for c in kept for t in c.get("op_types", []) or []}
    names = {n for c in kept for n in c.get("op_names", []) or []}
    layers = {"conv1", "conv2", "conv3", "fc1"}
    if not ({"Conv2d", "Linear"} <= types or layers <= names | types):
        raise Expected(
            expected, f"op_types {sorted(types)} and op_names {sorted(names)}"
        )
    want = run.constants.get("SPARSITY")
    for entry in kept:
        value = next(
            (
                entry[k]
                for k in ("sparsity", "sparsity_per_layer", "total_sparsity")
                if k in entry
            ),
            None,
        )
        if not _close(value, want):
            raise Expected(expected, f"an entry with sparsity {value!r}: {entry}")


@pytest.mark.rubric("structured_exclude_final", "excluded")
def test_final_layer_excluded(structured_run):
    """The final linear layer is excluded from pruning by name"""
    run = structured_run
    expected = (
        "an entry {'exclude': True, 'op_names': [<name of the final linear "
        "layer>]} in the configuration list"
    )
    config = _config(run, expected)
    model = _main_model(run)
    final = _final_linear(model) if model is not None else "fc2"
    excluded = {
        n
        for c in config
        if isinstance(c, dict) and c.get("exclude")
        for n in (c.get("op_names") or [])
    }
    if final not in excluded:
        raise Expected(
            expected,
            f"{final!r} is not excluded (excluded names: {sorted(excluded)})",
            code="final_layer_pruned",
        )


@pytest.mark.rubric("structured_pruner", "pruner")
def test_pruner(structured_run):
    """An activation-based pruner with the task's arguments and 1000 batches"""
    run = structured_run
    expected = (
        "ActivationAPoZRankPruner(model, config_list, trainer, traced_optimizer, "
        "criterion, training_batches=1000)"
    )
    event = _pruner(run, expected)
    import torch

    cls = event.info.get("cls")
    if cls not in ACTIVATION_PRUNERS:
        raise Expected(expected, f"a {cls}, not an activation-based pruner")
    values = event.info.get("values", {})
    model = _main_model(run)
    wrong = []
    if model is not None and event.info.get("model") is not model:
        wrong.append("the model is not the classifier main() evaluates")
    if values.get("evaluator") is not None:
        steps = values.get("training_steps")
        if steps != 1000:
            wrong.append(f"training_steps={steps!r} instead of 1000")
    else:
        if not callable(values.get("trainer")):
            wrong.append("no trainer function")
        if values.get("traced_optimizer") is None:
            wrong.append("no traced optimizer")
        if not isinstance(values.get("criterion"), torch.nn.CrossEntropyLoss):
            wrong.append(f"criterion {type(values.get('criterion')).__name__}")
        if values.get("training_batches") != 1000:
            wrong.append(
                f"training_batches={values.get('training_batches')!r} instead of 1000"
            )
    if wrong:
        raise Expected(expected, "; ".join(wrong))


@pytest.mark.rubric("structured_compress_logs", "logs")
def test_compress_logs(structured_run):
    """compress() runs and the pruned weights are shown after it"""
    run = structured_run
    expected = (
        "pruner.compress() to compute the masks, then the template's "
        "pruner.show_pruned_weights() printing 'remain/total' per layer"
    )
    run.fail_if_not_runnable(expected)
    compresses = run.rec.of("compress")
    if not compresses:
        raise Expected(expected, "compress() was never called" + run.main_error())
    if compresses[0].error:
        raise Expected(expected, f"compress() raised {compresses[0].error}")
    shows = run.rec.of("show_pruned_weights")
    if not shows or run.rec.index(shows[0]) < run.rec.index(compresses[0]):
        raise Expected(
            expected, "show_pruned_weights() was not called after compress()"
        )
    text = "\n".join(run.nni_log) + run.log
    if "remain/total" not in text:
        raise Expected(expected, "no 'remain/total' lines were logged")


@pytest.mark.rubric("structured_speedup", "speedup")
def test_speedup(structured_run):
    """ModelSpeedup with a 1x1x28x28 dummy input shrinks the model"""
    run = structured_run
    expected = (
        "ModelSpeedup(model, torch.randn(1, 1, 28, 28).to(model.device), "
        "masks).speedup_model(), halving the pruned layers"
    )
    run.fail_if_not_runnable(expected)
    inits = run.rec.of("speedup_init")
    if not inits:
        raise Expected(expected, "ModelSpeedup was never created" + run.main_error())
    info = inits[0].info
    if info.get("dummy_shape") != [1, 1, 28, 28]:
        raise Expected(expected, f"a dummy input of shape {info.get('dummy_shape')}")
    model = _main_model(run)
    if model is not None and info.get("model") is not model:
        raise Expected(expected, "ModelSpeedup got another model than the classifier")
    runs = run.rec.of("speedup_model")
    if not runs:
        raise Expected(expected, "speedup_model() was never called" + run.main_error())
    if runs[0].error:
        raise Expected(expected, f"speedup_model() raised {runs[0].error}")
    if model is not None:
        seen = [getattr(model, n).weight.shape[0] for n in ("conv1", "conv2", "conv3")]
        if seen != [4, 8, 16]:
            raise Expected(expected, f"filters {seen} after the speedup")


def _fine_tune(run: sf.Run, expected: str) -> sf.Event:
    run.fail_if_not_runnable(expected)
    event = sf.fine_tune_event(run)
    if event is None:
        raise Expected(
            expected, "the model was not trained after the speedup" + run.main_error()
        )
    return event


@pytest.mark.rubric("structured_fine_tune", "optimizer")
def test_fine_tune_optimizer(structured_run):
    """Fine-tuning uses Adam over the pruned model at FINETUNE_LEARNING_RATE"""
    run = structured_run
    expected = (
        "torch.optim.Adam(model.parameters(), lr=FINETUNE_LEARNING_RATE) "
        "created after the speedup and given to model.train_model"
    )
    event = _fine_tune(run, expected)
    import torch

    optimizer = event.info.get("optimizer")
    if not isinstance(optimizer, torch.optim.Adam):
        raise Expected(expected, f"the optimizer is {type(optimizer).__name__}")
    lr = optimizer.defaults.get("lr")
    want = run.constants.get("FINETUNE_LEARNING_RATE")
    if not _close(lr, want):
        raise Expected(expected, f"lr={lr} instead of FINETUNE_LEARNING_RATE={want}")
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    if held != event.info.get("param_ids"):
        raise Expected(
            expected,
            "the optimizer holds parameters the pruned model no longer has "
            "(create it after the speedup)",
            code="stale_optimizer",
        )


@pytest.mark.rubric("structured_fine_tune", "trained")
def test_fine_tuned(structured_run):
    """Fine-tuning changes the pruned weights and keeps or recovers accuracy"""
    run = structured_run
    expected = "fine-tuning that changes the weights and does not lose accuracy"
    event = _fine_tune(run, expected)
    if event.error:
        model = event.info.get("model")
        outputs = getattr(
            getattr(model, _final_linear(model), None), "out_features", 10
        )
        cause = (
            f" (the final layer has {outputs} outputs for 10 classes: it was "
            "pruned, see task S3)"
            if outputs < 10
            else ""
        )
        raise Expected(expected, f"model.train_model raised {event.error}{cause}")
    before, after = event.info.get("before", {}), event.info.get("after", {})
    if not after or all(
        k in before and bool((before[k] == v).all()) for k, v in after.items()
    ):
        raise Expected(expected, "no weight changed during fine-tuning")
    acc = run.accuracy
    if "before" in acc and "after" in acc and acc["after"] < acc["before"] - 0.05:
        raise Expected(
            expected,
            f"accuracy fell from {acc['before']:.2f} to {acc['after']:.2f} on the "
            "grader's tiny test set",
        )


def _written(run: sf.Run, key: str, methods: tuple[str, ...], expected: str) -> None:
    run.fail_if_not_runnable(expected)
    path = run.folder / sf.FILES[key]
    errors = [e.error for m in methods for e in run.rec.of(m) if e.error]
    later = run.conversions.get(key)
    if isinstance(later, dict):
        errors.append(later.get("message", ""))
    if any("onnx_tf" in e and "cannot run" in e for e in errors):
        raise Expected(expected, errors[0], code="not_runnable")
    if errors:
        raise Expected(expected, errors[0])
    if not path.is_file() or path.stat().st_size == 0:
        raise Expected(expected, "no file was written at the path it was given")


@pytest.mark.rubric("structured_onnx", "written")
def test_onnx_written(structured_run):
    """convert_to_onnx writes the model to the path it is given"""
    _written(
        structured_run,
        "onnx",
        ("convert_to_onnx",),
        "FashionClassifier.convert_to_onnx(path) to write an ONNX file at path",
    )


@pytest.mark.rubric("structured_tflite", "written")
def test_tflite_written(structured_run):
    """convert_to_tflite writes the model to the path it is given"""
    _written(
        structured_run,
        "tflite",
        ("convert_to_tflite", "convert_to_litert"),
        "FashionClassifier.convert_to_tflite(path) to write a TFLite file at path",
    )
