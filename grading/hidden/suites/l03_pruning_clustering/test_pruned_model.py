"""Hidden tests of PrunedModel: how pruning and fine-tuning were done.

The sparsity and the ops of the written .tflite are verified by the grader
outside this process; these tests look at the calls.
"""

import pytest
from grader_plugin import Expected
from l03_fixtures import models_of
from l03_helpers import check_fine_tuned, check_strip_call, first_call

ITEM = "pruned_model"
VARIANTS = [m["variant"] for m in models_of("pruned")]


@pytest.fixture(scope="module", params=VARIANTS)
def pruned(request, builder):
    return builder.get(request.param)


@pytest.mark.rubric(ITEM, "prune_call")
def test_prune_low_magnitude_call(pruned):
    """prune_low_magnitude gets pruning_schedule=self.sched."""
    call = first_call(
        pruned,
        "prune_low_magnitude",
        "tfmot.sparsity.keras.prune_low_magnitude(model, pruning_schedule=self.sched)",
    )
    sched = getattr(pruned.obj, "sched", None)
    given = call.bound.get("pruning_schedule", call.kwargs.get("pruning_schedule"))
    if sched is None:
        raise Expected(
            "self.sched, the schedule compress_and_fine_tune of the template prepares",
            "no attribute sched",
        )
    if given is not sched:
        raise Expected(
            "pruning_schedule=self.sched",
            f"pruning_schedule={type(given).__name__}",
            code="wrong_schedule",
        )
    # The template makes self.sched; replacing it by another schedule is the
    # same as passing another one.
    target = getattr(pruned.obj, "target_sparsity", None)
    template = {
        "target_sparsity": target,
        "begin_step": 0,
        "end_step": 1,
        "frequency": 1,
    }
    try:
        config = dict(sched.get_config())
        config = dict(config.get("config", config))
    except Exception:  # noqa: BLE001 - an odd object is not the template's
        config = {}
    same = type(sched).__name__ == "ConstantSparsity" and all(
        config.get(k) == v for k, v in template.items()
    )
    if not same:
        raise Expected(
            "pruning_schedule=self.sched, the ConstantSparsity(self.target_sparsity, "
            "begin_step=0, end_step=1, frequency=1) the template makes",
            f"self.sched replaced by {type(sched).__name__}({config})",
            code="wrong_schedule",
        )


@pytest.mark.rubric(ITEM, "callbacks")
def test_update_pruning_step_callback(pruned):
    """UpdatePruningStep is among the fit callbacks."""
    fits = pruned.of("fit")
    if not fits:
        pruned.raise_error("fit(..., callbacks=[UpdatePruningStep(), ...])")
        raise Expected(
            "fit(..., callbacks=[UpdatePruningStep(), ...])",
            "fit was never called",
            code="no_fit",
        )
    names = fits[0].info.get("callbacks", [])
    if "UpdatePruningStep" not in names:
        raise Expected(
            "tfmot.sparsity.keras.UpdatePruningStep among the fit callbacks",
            "callbacks " + (", ".join(names) or "none"),
            code="update_pruning_step",
        )


@pytest.mark.rubric(ITEM, "fine_tuned")
def test_fine_tuned(pruned):
    """The model is compiled and fitted with the objects optimize_model prepared."""
    check_fine_tuned(pruned, "prune_low_magnitude", "the pruned model")


@pytest.mark.rubric(ITEM, "strip_call")
def test_strip_pruning(pruned):
    """strip_pruning removes the wrappers after fine-tuning."""
    check_strip_call(pruned, "strip_pruning", "prune_low_magnitude")
