"""Lab 02's out-of-process proof: spies count only when the written model shows it.

The proof data are the lab's own ``artifacts.toml`` (``[proof]``); the
``calibrated`` check runs on models converted here, the three ways a
student's converter can be set up.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grading.hidden import artifacts, proof, quantized_artifacts
from grading.pipeline.findings import Finding
from grading.pipeline.rubric import load_rubric
from grading.pipeline.scoring import score

ROOT = Path(__file__).resolve().parents[2]
LAB = "l02_quantization"
SPEC = artifacts.load_spec(
    ROOT / "grading/hidden/suites/l02_quantization/artifacts.toml"
)
INT8 = ["int8-0.3", "int8-0.8"]


def _finding(check: str, item: str, variants: list[str], failed=()) -> Finding:
    return Finding(
        check=check,
        item=item,
        passed=not failed,
        message=f"{check} checked",
        score=(len(variants) - len(failed)) / len(variants),
        data={"variants": variants, "failed": list(failed)},
    )


def test_the_lab_names_a_proof_for_each_model_kind():
    assert SPEC["proof"] == {"tflite_float": ["model"], "tflite_int8": ["calibrated"]}


def test_fp32_spies_earn_nothing_without_the_fp32_model():
    """The FP32 variant has two models (file, outputs): both proofs apply."""
    spies = [
        _finding(f"hidden.fp32_model.{name}", "fp32_model", ["fp32"])
        for name in ("prepare", "outputs", "inference_step", "test_inference")
    ]
    model = _finding("artifact.fp32_model.model", "fp32_model", ["fp32"], ["fp32"])
    outputs = _finding("artifact.fp32_model.outputs", "fp32_model", ["fp32"])
    findings = proof.apply_proof([*spies, model, outputs], SPEC)
    for spy in spies:
        assert spy.passed is False and spy.code == "unproven" and spy.score == 0
        assert "Not counted for fp32" in spy.message and "model" in spy.message
    item = {i["id"]: i for i in score(load_rubric(LAB), findings)["items"]}
    # The grader's check of the saved outputs does not count either: they
    # are outputs of a model that is not the FP32 model.
    assert outputs.passed is False and outputs.code == "unproven"
    assert item["fp32_model"]["points"] == 0


def test_int8_credit_counts_for_the_calibrated_variants_only():
    spy = _finding("hidden.int8_model.calibration", "int8_model", INT8)
    calibrated = _finding(
        "artifact.int8_model.calibrated", "int8_model", INT8, ["int8-0.8"]
    )
    proof.apply_proof([spy, calibrated], SPEC)
    assert spy.score == 0.5 and spy.data["unproven"] == ["int8-0.8"]
    assert "calibrated" in spy.message
    untouched = _finding("hidden.int8_model.calibration", "int8_model", INT8)
    proven = _finding("artifact.int8_model.calibrated", "int8_model", INT8)
    proof.apply_proof([untouched, proven], SPEC)
    assert untouched.passed is True and untouched.code != "unproven"


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """name -> .tflite of a tiny model: full-integer, float io, dynamic range."""
    import tensorflow as tf

    folder = tmp_path_factory.mktemp("l02-proof")
    keras = tf.keras.Sequential(
        [
            tf.keras.Input((8, 8, 3)),
            tf.keras.layers.Conv2D(4, 3, activation="relu"),
            tf.keras.layers.Flatten(),
            tf.keras.layers.Dense(3),
        ]
    )
    rng = np.random.default_rng(0)

    def samples():
        for _ in range(8):
            yield [rng.standard_normal((1, 8, 8, 3)).astype(np.float32)]

    files = {}
    converter = tf.lite.TFLiteConverter.from_keras_model(keras)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
    files["float16"] = folder / "float16.tflite"
    files["float16"].write_bytes(converter.convert())
    for name, representative, int8_io in (
        ("full", True, True),
        ("float_io", True, False),
        ("dynamic", False, False),
    ):
        converter = tf.lite.TFLiteConverter.from_keras_model(keras)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if representative:
            converter.representative_dataset = samples
        if int8_io:
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
        files[name] = folder / f"{name}.tflite"
        files[name].write_bytes(converter.convert())
    return files


@pytest.mark.parametrize(
    ("name", "calibrated", "quantized"),
    [("full", True, True), ("float_io", True, False), ("dynamic", False, False)],
)
def test_calibrated_means_int8_activations(converted, name, calibrated, quantized):
    path = converted[name]
    model = {"item": "int8_model", "variant": "int8-0.3", "kind": "tflite_int8"}
    model["file"] = path.name
    result = quantized_artifacts.check(model, SPEC, path.parent, {}, path)
    assert result["calibrated"]["passed"] is calibrated, result["calibrated"]
    assert result["quantized"]["passed"] is quantized, result["quantized"]
    if not calibrated:
        assert result["calibrated"]["code"] == "not_calibrated"


def test_a_float16_model_is_not_fp32(converted):
    """Its float16 weights are widened by DEQUANTIZE: not the kernels' dtype."""
    path = converted["float16"]
    model = {"item": "fp32_model", "variant": "fp32", "kind": "tflite_float"}
    model["file"] = path.name
    result = quantized_artifacts.check(model, SPEC, path.parent, {}, path)
    assert result["model"]["passed"] is False
    assert result["model"]["code"] == "quantized_fp32"
    assert "float16" in result["model"]["message"]


def test_the_readme_states_the_graders_fp32_tolerance():
    readme = ROOT / "dl_in_iot_course/l02_quantization/README.md"
    text = " ".join(readme.read_text(encoding="utf-8").split())
    tolerance = f"{SPEC['keras_tolerance']:.0e}".replace("e-0", "e-")
    assert f"within {tolerance} (absolute, plus {tolerance} of the value)" in text
    assert "1e-5" not in text
