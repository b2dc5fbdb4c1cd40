"""The grading environment has what the course tells students to use.

The modules come from ``[uses]`` of ``grading/versions/templates.toml``
(read from every version's README and template module); the grader's
environment check names any that is missing.
"""

from __future__ import annotations

import pytest

from grading.sandbox.environment import check_environment, missing_modules
from grading.versions import course_modules


@pytest.mark.parametrize("lab", ["l02_quantization", "l03_pruning_clustering"])
def test_every_module_the_course_uses_is_installed(lab):
    modules = course_modules(lab)
    assert "tensorflow" in modules
    assert missing_modules(modules) == []


def test_a_missing_course_module_is_named_for_the_instructor():
    _, findings = check_environment(modules=("tensorflow", "no_such_module_xyz"))
    missing = [f for f in findings if f.code == "environment_missing"]
    assert [f.data["module"] for f in missing] == ["no_such_module_xyz"]
    assert missing[0].audience == "instructor" and "requirements" in missing[0].hint


@pytest.mark.tf
@pytest.mark.slow
def test_pruning_summaries_and_both_interpreters_work(tmp_path):
    """PruningSummaries needs TensorBoard; both interpreters the READMEs name run."""
    import numpy as np
    import tensorflow as tf
    import tensorflow_model_optimization as tfmot
    import tf_keras
    from ai_edge_litert.interpreter import Interpreter

    inputs = tf_keras.Input((8,))
    model = tf_keras.Model(inputs, tf_keras.layers.Dense(3)(inputs))
    sparsity = tfmot.sparsity.keras
    schedule = sparsity.ConstantSparsity(0.5, begin_step=0, end_step=1, frequency=1)
    pruned = sparsity.prune_low_magnitude(model, pruning_schedule=schedule)
    pruned.compile("adam", "mse")
    x = np.random.default_rng(0).standard_normal((16, 8)).astype("float32")
    callbacks = [
        sparsity.UpdatePruningStep(),
        sparsity.PruningSummaries(log_dir=str(tmp_path / "logs")),
    ]
    pruned.fit(x, x[:, :3], epochs=1, batch_size=8, verbose=0, callbacks=callbacks)
    assert list((tmp_path / "logs").rglob("events.out.tfevents.*"))
    flat = tf.lite.TFLiteConverter.from_keras_model(
        sparsity.strip_pruning(pruned)
    ).convert()
    outputs = []
    for make in (Interpreter, tf.lite.Interpreter):
        interpreter = make(model_content=flat)
        interpreter.allocate_tensors()
        index = interpreter.get_input_details()[0]["index"]
        interpreter.set_tensor(index, x[:1])
        interpreter.invoke()
        out = interpreter.get_output_details()[0]["index"]
        outputs.append(interpreter.get_tensor(out))
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-5)
