"""Fast tests of the hidden-test machinery: hints, artifacts, recorder, check.

No TensorFlow here: the recorder and the check run on tiny fake test
folders through the real sandbox.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grading.checks import CheckContext
from grading.hidden import artifacts, hints
from grading.hidden import runner as hidden_tests
from grading.hidden.suites.grader_contract import Contract
from grading.pipeline.findings import Finding
from grading.pipeline.options import GradeOptions
from grading.pipeline.rubric import load_rubric
from grading.pipeline.scoring import score

ROOT = Path(__file__).resolve().parents[2]
HIDDEN = ROOT / "grading" / "hidden" / "suites"
LAB = "l03_pruning_clustering"
README = "dl_in_iot_course/l03_pruning_clustering/README.md#task-3-prunedmodel"

# ----------------------------------------------------------------- hints

SIGNATURE_CASES = [
    (
        "ValueError: `prune_low_magnitude` can only prune an object of the "
        "following types: keras.models.Sequential, keras functional model",
        "",
        "keras3",
    ),
    (
        "InvalidArgumentError: Graph execution error: Detected at node "
        "model/prune_low_magnitude_dense/assert_greater_equal/Assert",
        "",
        "update_pruning_step",
    ),
    (
        "expected a TFLite model; a Keras HDF5 (.h5) model file was written",
        "",
        "keras_file",
    ),
    (
        "ValueError: Cannot set tensor: Tensor is unallocated. Try calling "
        "allocate_tensors() first",
        "",
        "unallocated",
    ),
    (
        "Expected the module to import on a fresh clone; seen importing it failed "
        "with FileNotFoundError: [Errno 2] No such file or directory: 'logs/run.log'",
        "import_error",
        "fresh_clone",
    ),
    (
        "NotImplementedError: PrunedModel.compress_and_fine_tune is not implemented",
        "",
        "not_implemented",
    ),
    ("its ops include GATHER, ARG_MIN", "unstripped", "unstripped"),
    ("ValueError: Layer stem has no weights to cluster.", "", "not_trainable"),
    ("AttributeError: 'NoneType' object has no attribute 'compile'", "", "keras3"),
    ("did not finish: timeout after 300 s", "timeout", "timeout"),
    (
        "ValueError: Cannot set tensor: Got value of type INT8 but expected type "
        "FLOAT32 for input 0, name: serving_default_input_1:0",
        "",
        "float_io",
    ),
    ("its input is float32, not int8 (inference_input_type)", "not_int8", "float_io"),
    (
        "ValueError: Cannot set tensor: Got value of type FLOAT32 but expected "
        "type INT8 for input 0",
        "",
        "dtype_mismatch",
    ),
]


@pytest.mark.parametrize(("text", "code", "want"), SIGNATURE_CASES)
def test_known_error_signatures_get_their_hint(text, code, want):
    got, hint = hints.hint_for(text, code, README, "PrunedModel")
    assert got == want
    assert hint and "{task}" not in hint


def test_unknown_failure_names_the_readme_task():
    code, hint = hints.hint_for("something odd", "", README, "PrunedModel: prune")
    assert code == "failed"
    assert README in hint and "PrunedModel: prune" in hint


# ------------------------------------------------------------- artifacts


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"\x89HDF\r\n\x1a\n" + b"\0" * 16, "hdf5"),
        (b"\x1c\0\0\0TFL3" + b"\0" * 16, "tflite"),
        (b"PK\x03\x04rest", "keras_zip"),
        (b"", "empty"),
        (b"hello world", "unknown"),
    ],
)
def test_file_kind_reads_the_content_not_the_name(tmp_path, content, kind):
    path = tmp_path / "model.tflite"
    path.write_bytes(content)
    assert artifacts.file_kind(path) == kind


def test_file_kind_missing_and_directory(tmp_path):
    assert artifacts.file_kind(tmp_path / "nothing.tflite") == "missing"
    (tmp_path / "saved.tflite").mkdir()
    assert artifacts.file_kind(tmp_path / "saved.tflite") == "directory"


def test_verify_names_a_keras_file_and_a_construction_error(tmp_path):
    spec = artifacts.load_spec(HIDDEN / LAB / "artifacts.toml")
    clustered = [m for m in spec["model"] if m["kind"] == "clustered"]
    (tmp_path / clustered[0]["file"]).write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    manifest = {
        "variants": {
            clustered[1]["variant"]: {
                "error": {
                    "message": "NotImplementedError: not yet",
                    "code": "not_implemented",
                    "evidence": "",
                }
            }
        }
    }
    found = {f["check"]: f for f in artifacts.verify(spec, tmp_path, manifest)}
    loads = found["artifact.clustered_model.loads"]
    assert loads["passed"] is False
    assert loads["code"] == "keras_file"
    assert "HDF5" in loads["message"] and "NotImplementedError" in loads["message"]
    assert loads["score"] == 0.0
    outputs = found["artifact.tfmot_optimized_model.outputs"]
    assert outputs["passed"] is False and outputs["code"] == "not_run"


def test_make_inputs_matches_the_hidden_tests_twin():
    spec = artifacts.load_spec(HIDDEN / LAB / "artifacts.toml")
    first = artifacts.make_inputs(spec)
    assert first.shape == (spec["inputs_count"], *spec["input_shape"])
    assert np.array_equal(first, artifacts.make_inputs(spec))
    source = (HIDDEN / LAB / "l03_fixtures.py").read_text(encoding="utf-8")
    assert 'default_rng(int(SPEC["inputs_seed"]))' in source
    assert "standard_normal(shape).astype(np.float32)" in source


# -------------------------------------------------------------- recorder

FAKE_TESTS = '''
import os, sys
import pytest
from grader_plugin import Expected

SECRET_SOURCE_MARKER = "do-not-leak"

@pytest.mark.rubric("clustered_model", "first")
def test_a():
    """the first check passes"""

@pytest.mark.rubric("clustered_model", "second")
def test_b():
    raise Expected("three clusters", "five", code="wrong_clusters")

@pytest.mark.rubric("pruned_model", "third")
def test_c():
    assert 1 == 2, "expected 1, seen 2"

@pytest.mark.rubric("pruned_model", "fourth")
def test_d():
    sys.exit(4)

@pytest.mark.rubric("pruned_model", "fifth")
def test_e():
    {last}

@pytest.mark.rubric("pruned_model", "sixth")
def test_f():
    pass
'''


def run_recorder(tmp_path: Path, last: str, threads: int = 0) -> dict:
    folder = tmp_path / "tests"
    folder.mkdir()
    (folder / "test_fake.py").write_text(FAKE_TESTS.replace("{last}", last))
    results = tmp_path / "results.json"
    contract = Contract(
        results=str(results),
        artifacts=str(tmp_path),
        workcopy=str(tmp_path),
        tests_dir=str(folder),
        fast_exit=False,
        threads=threads,
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.endswith("_THREADS")},
        **contract.to_env(),
        "PYTHONPATH": str(HIDDEN),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "grader_plugin",
            "--assert=plain",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(folder),
            "-c",
            os.devnull,
            str(folder),
        ],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return json.loads(results.read_text())


def test_recorder_keeps_results_when_the_process_dies(tmp_path):
    data = run_recorder(tmp_path, "os._exit(3)")
    results = data["results"]
    assert data["finished"] is False
    assert data["running"].endswith("test_e")
    assert len(data["collected"]) == 6
    by_check = {v["check"]: v for v in results.values()}
    assert by_check["first"]["outcome"] == "passed"
    assert by_check["second"]["outcome"] == "failed"
    assert by_check["second"]["message"] == "Expected three clusters; seen five"
    assert by_check["second"]["code"] == "wrong_clusters"
    assert by_check["third"]["message"] == "expected 1, seen 2"
    assert "sys.exit(4)" in by_check["fourth"]["message"]
    assert "fifth" not in by_check and "sixth" not in by_check
    assert "do-not-leak" not in json.dumps(data)
    assert {c["doc"] for c in data["collected"]} >= {"the first check passes"}


def test_recorder_marks_a_finished_session(tmp_path):
    data = run_recorder(tmp_path, "pass")
    assert data["finished"] is True and data["running"] is None
    assert len(data["results"]) == 6


def test_contract_threads_size_the_pools_before_student_code_runs(tmp_path):
    assert Contract("r", "a", "w", "t").thread_env() == {}
    env = Contract("r", "a", "w", "t", threads=3).thread_env()
    assert set(env.values()) == {"3"} and "TF_NUM_INTRAOP_THREADS" in env
    # the plugin sets them in the child before any test module is imported
    seen = "raise Expected('no', os.environ.get('TF_NUM_INTEROP_THREADS', 'unset'))"
    data = run_recorder(tmp_path, seen, threads=1)
    by_check = {v["check"]: v for v in data["results"].values()}
    assert by_check["fifth"]["message"] == "Expected no; seen 1"


# ------------------------------------------------ the check on fake suites

FAKE_SUITE = """
import os, sys, time
import pytest

@pytest.mark.rubric("tfmot_optimized_model", "prepare")
def test_prepare():
    pass

@pytest.mark.rubric("tfmot_optimized_model", "outputs")
def test_outputs():
    {body}

@pytest.mark.rubric("tfmot_optimized_model", "test_inference")
def test_after():
    pass
"""


def fake_hidden_root(tmp_path: Path, body: str) -> Path:
    root = tmp_path / "hidden"
    lab = root / LAB
    lab.mkdir(parents=True)
    (lab / "test_fake_suite.py").write_text(FAKE_SUITE.replace("{body}", body))
    # Every plugin the rubric loads exists, without fixtures.
    for plugin in load_rubric(LAB).section("hidden_tests")["plugins"]:
        (lab / f"{plugin}.py").write_text(
            '"""No fixtures."""\n\n\ndef build_masters(folder):\n'
            '    (folder / "done").write_text("ok")\n'
        )
    return root


def run_fake_check(tmp_path, monkeypatch, body: str, **options) -> dict:
    monkeypatch.setattr(hidden_tests, "HIDDEN_ROOT", fake_hidden_root(tmp_path, body))
    # Nothing to restore: keeps restore_protected from walking the whole repo.
    (tmp_path / "instructor").mkdir()
    monkeypatch.setattr(hidden_tests, "INSTRUCTOR_ROOT", tmp_path / "instructor")
    submission = tmp_path / "submission"
    (submission / "dl_in_iot_course").mkdir(parents=True)
    work = tmp_path / "work"
    work.mkdir()
    rubric = load_rubric(LAB)
    options.setdefault("hidden_tests_cache", tmp_path / "masters")
    ctx = CheckContext(submission, work, LAB, rubric, GradeOptions(**options))
    result = hidden_tests.run(ctx)
    return {f.check: f for f in result.findings}


def test_os_exit_keeps_finished_tests_and_fails_the_rest(tmp_path, monkeypatch):
    found = run_fake_check(tmp_path, monkeypatch, "os._exit(0)")
    assert found["hidden.tfmot_optimized_model.prepare"].passed is True
    for name in ("outputs", "test_inference"):
        finding = found[f"hidden.tfmot_optimized_model.{name}"]
        assert finding.passed is False
        assert finding.message.startswith("did not finish: the test process exited")
        # Which test was running is said by its check, never by the test name.
        assert "test_outputs" not in finding.message
        assert finding.code == "exited"
    assert found["hidden.run"].audience == "instructor"


def test_timeout_keeps_finished_tests(tmp_path, monkeypatch):
    found = run_fake_check(
        tmp_path, monkeypatch, "time.sleep(60)", timeout=4, test_timeout=100
    )
    assert found["hidden.tfmot_optimized_model.prepare"].passed is True
    finding = found["hidden.tfmot_optimized_model.outputs"]
    # A time limit is never a failure: the check decided nothing.
    assert finding.passed is None and finding.code == "timeout"
    assert "could not check: time limit" in finding.message
    assert "ran for its 4 s" in finding.message
    assert finding.hint


def test_cpu_limit_of_one_test_is_a_timeout_not_a_failure(tmp_path, monkeypatch):
    rubric = load_rubric(LAB)
    section = dict(rubric.sections["hidden_tests"], test_cpu_limit=1)
    monkeypatch.setitem(rubric.sections, "hidden_tests", section)
    monkeypatch.setattr(
        hidden_tests,
        "HIDDEN_ROOT",
        fake_hidden_root(tmp_path, "while True:\n        pass"),
    )
    (tmp_path / "instructor").mkdir()
    monkeypatch.setattr(hidden_tests, "INSTRUCTOR_ROOT", tmp_path / "instructor")
    (tmp_path / "submission" / "dl_in_iot_course").mkdir(parents=True)
    (tmp_path / "work").mkdir()
    options = GradeOptions(hidden_tests_cache=tmp_path / "masters")
    ctx = CheckContext(tmp_path / "submission", tmp_path / "work", LAB, rubric, options)
    found = {f.check: f for f in hidden_tests.run(ctx).findings}
    outputs = found["hidden.tfmot_optimized_model.outputs"]
    assert outputs.passed is None and outputs.code == "timeout", outputs
    assert "CPU time" in outputs.message
    # The tests after it still ran.
    assert found["hidden.tfmot_optimized_model.test_inference"].passed is True
    item = {i["id"]: i for i in score(rubric, list(found.values()))["items"]}
    assert item["tfmot_optimized_model"]["status"] == "timeout"


def test_without_hidden_tests_the_code_items_wait_for_a_person(tmp_path, monkeypatch):
    monkeypatch.setattr(hidden_tests, "HIDDEN_ROOT", tmp_path / "absent")
    rubric = load_rubric(LAB)
    ctx = CheckContext(tmp_path, tmp_path, LAB, rubric, {})
    result = hidden_tests.run(ctx)
    assert result.findings
    assert all(f.passed is None and f.code == "manual_review" for f in result.findings)
    assert "not part of this copy of the grader" in result.findings[0].message
    items = {i["id"]: i for i in score(rubric, result.findings)["items"]}
    for item in ("tfmot_optimized_model", "clustered_model", "pruned_model"):
        assert items[item]["status"] == "manual"


@pytest.mark.parametrize(
    "manifest",
    [
        "not a dict",
        {"variants": "nope"},
        {"variants": {"clustered-2": 3}},
        {"variants": {"clustered-2": {"error": ["odd"]}}, "import_error": 7},
    ],
)
def test_verify_survives_a_malformed_manifest(tmp_path, manifest):
    spec = artifacts.load_spec(HIDDEN / LAB / "artifacts.toml")
    found = artifacts.verify(spec, tmp_path, manifest)
    assert found and all(f["passed"] is False for f in found)


def test_a_time_limit_is_never_a_score():
    rubric = load_rubric(LAB)
    item = rubric.item("clustered_model")
    findings = [
        Finding(check=c.check, item=item.id, passed=True, message="ok")
        for c in item.checks
    ]
    findings[0] = Finding(
        check=item.checks[0].check,
        item=item.id,
        passed=None,
        code="timeout",
        message="Could not check: time limit",
    )
    scored = {i["id"]: i for i in score(rubric, findings)["items"]}["clustered_model"]
    assert scored["status"] == "timeout"
    assert scored["points"] == 0.0
    assert scored["suggested_points"] < scored["max_points"]
