"""The grade verb's exit codes and output, and the environment check."""

from __future__ import annotations

import json
import pkgutil

import pytest

import grading.commands
from grading.cli import main
from grading.sandbox import environment


def test_help_lists_every_verb(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    verbs = [
        m.name
        for m in pkgutil.iter_modules(grading.commands.__path__)
        if not m.name.startswith("_")
    ]
    assert "grade" in verbs
    for verb in verbs:
        assert verb in text, verb


def test_grade_help_names_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["grade", "--help"])
    text = capsys.readouterr().out
    for option in (
        "--lab",
        "--out",
        "--student",
        "--base",
        "--timeout",
        "--memory-mb",
        "--quiet",
        "Exit status",
    ):
        assert option in text, option


def test_grade_exit_zero_with_progress_and_score(
    fake_lab, submission, capsys, monkeypatch
):
    monkeypatch.setattr(
        "grading.pipeline.engine.check_environment", lambda **_: ({}, [])
    )
    code = main(
        [
            "grade",
            str(submission),
            "--lab",
            "lab_a",
            "--student",
            "bob",
            "--timeout",
            "7",
            "--memory-mb",
            "300",
            "--base",
            "v0",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.strip() == (
        "bob: 4/13 (lab_a, error, 2 item(s) wait for manual review)"
    )
    assert "[1/3] fake_ok: running" in captured.err
    assert "[2/3] fake_raise: error" in captured.err
    results = json.loads(
        (submission.parent / "alice-grade" / "results.json").read_text()
    )
    seen = results["checks"]["fake_ok"]["details"]["options"]
    wanted = {"base": "v0", "timeout": 7.0, "memory_mb": 300}
    assert {k: seen[k] for k in wanted} == wanted


def test_grade_quiet(fake_lab, submission, capsys, monkeypatch):
    monkeypatch.setattr(
        "grading.pipeline.engine.check_environment", lambda **_: ({}, [])
    )
    assert main(["grade", str(submission), "--lab", "lab_a", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "4/13" in captured.out


@pytest.mark.parametrize("case", ["missing", "unknown_lab", "out_inside", "out_file"])
def test_grade_exit_nonzero_when_grader_cannot_run(
    case, fake_lab, submission, tmp_path, capsys
):
    args = {
        "missing": [str(tmp_path / "nope"), "--lab", "lab_a"],
        "unknown_lab": [str(submission), "--lab", "lab_zzz"],
        "out_inside": [
            str(submission),
            "--lab",
            "lab_a",
            "--out",
            str(submission / "out"),
        ],
        "out_file": [
            str(submission),
            "--lab",
            "lab_a",
            "--out",
            str(submission / "pkg" / "file.py" / "x"),
        ],
    }[case]
    code = main(["grade", *args])
    err = capsys.readouterr().err
    assert code == 1
    assert "grade: error:" in err
    assert {
        "missing": "does not exist",
        "unknown_lab": "no rubric for lab",
        "out_inside": "inside the submission",
        "out_file": "inside the submission",
    }[case] in err


def test_missing_package_stops_the_grader(fake_lab, submission, capsys, monkeypatch):
    real = environment.installed_version
    monkeypatch.setattr(
        environment,
        "installed_version",
        lambda name: None if name == "tf_keras" else real(name),
    )
    code = main(["grade", str(submission), "--lab", "lab_a"])
    err = capsys.readouterr().err
    assert code == 1
    assert "tf_keras" in err and "pip install -r requirements.txt" in err


def test_read_pins(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text(
        "# c\n-r other.txt\nTensorFlow_CPU==2.21.0\ntf_keras==2.21.0 ; "
        "python_version>'3'\nnumpy>=2\nfoo[extra]==1.0  # note\n"
    )
    assert environment.read_pins(req) == {
        "tensorflow-cpu": "2.21.0",
        "tf-keras": "2.21.0",
        "foo": "1.0",
    }
    assert environment.read_pins(tmp_path / "absent.txt") == {}


def test_environment_drift_is_a_clear_instructor_finding(tmp_path, monkeypatch):
    req = tmp_path / "requirements.txt"
    req.write_text("tensorflow==2.99.0\ntf_keras==2.21.0\n")
    monkeypatch.setattr(
        environment,
        "installed_version",
        lambda name: {"tensorflow": "2.21.0"}.get(name, "2.21.0"),
    )
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "0")
    versions, findings = environment.check_environment(("tensorflow", "tf_keras"), req)
    assert versions["tensorflow"] == "2.21.0"
    drift = [f for f in findings if f.check == "environment.version"]
    assert len(drift) == 1
    assert "2.21.0 is installed" in drift[0].message and "2.99.0" in drift[0].message
    assert "pip install -r requirements.txt" in drift[0].hint
    assert drift[0].audience == "instructor" and drift[0].item == ""
    assert any(f.check == "environment.legacy_keras" for f in findings)


def test_real_environment_matches_pins():
    versions, findings = environment.check_environment()
    assert versions["tensorflow"] and versions["tf_keras"]
    assert [f.message for f in findings if f.check == "environment.version"] == []
