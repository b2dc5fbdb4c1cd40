"""Fixtures of the engine tests: a fake lab with fake check modules."""

from __future__ import annotations

import random
import sys
import textwrap
import types
from pathlib import Path

import pytest

import grading.pipeline.rubric
from grading.checks import CheckResult
from grading.pipeline import engine
from grading.pipeline.findings import Finding

FAKE_RUBRIC = """
schema = 1
lab = "{lab}"
title = "Fake lab"
checks = ["fake_ok", "fake_raise", "fake_missing"]
summary_dir = "summaries/{lab}"
student_module = "pkg/{lab}_experiments.py"

[[items]]
id = "full"
title = "Full item"
points = 2
readme = "README.md#full"
checks = [{{check = "fake.full"}}]

[[items]]
id = "half"
title = "Half item"
points = 4
readme = "README.md#half"
checks = [{{check = "fake.half_a"}}, {{check = "fake.half_b"}}]

[[items]]
id = "zero"
title = "Failed item"
points = 1
readme = "README.md#zero"
checks = [{{check = "fake.zero"}}]

[[items]]
id = "person"
title = "Manual item"
points = 1
kind = "manual"
checks = [{{check = "fake.person"}}]

[[items]]
id = "crashy"
title = "Item of a crashing check"
points = 3
checks = [{{check = "fake_raise.thing"}}]

[[items]]
id = "absent"
title = "Item of a missing check"
points = 2
checks = [{{check = "fake_missing.thing"}}]
"""


def fake_ok_run(ctx):
    found = [
        Finding("fake.full", "full", True, "Full marks."),
        Finding("fake.half_a", "half", True, "Half A passed."),
        Finding(
            "fake.half_b",
            "half",
            False,
            "Half B failed: expected 4, saw 3.",
            hint="Reread task 2.",
            evidence="value = 3",
        ),
        Finding(
            "fake.zero",
            "zero",
            False,
            f"Nothing in {ctx.workdir}/fake_ok/x.py",
            evidence=f"{ctx.submission}/pkg/file.py",
        ),
        Finding("fake.person", "person", True, "Looks fine to the machine."),
        Finding(
            "fake.secret",
            "",
            None,
            "Instructor-only note about the sandbox",
            audience="instructor",
        ),
        Finding("fake.note", "", None, "A note for the student."),
    ]
    random.shuffle(found)  # the engine must sort
    (ctx.workdir / "fake_ok" / "scratch.txt").write_text("x")
    return CheckResult(
        findings=found,
        details={"path": ctx.workdir / "fake_ok", "options": ctx.options.for_checks()},
    )


def fake_raise_run(ctx):
    raise RuntimeError("boom in the check")


@pytest.fixture
def fake_lab(tmp_path, monkeypatch):
    """A labs folder with two fake labs and the fake check modules installed."""
    labs = tmp_path / "labs"
    labs.mkdir()
    for lab in ("lab_a", "lab_b"):
        (labs / f"{lab}.toml").write_text(textwrap.dedent(FAKE_RUBRIC.format(lab=lab)))
    monkeypatch.setattr(grading.pipeline.rubric, "LABS_DIR", labs)
    for name, run in (("fake_ok", fake_ok_run), ("fake_raise", fake_raise_run)):
        module = types.ModuleType(f"grading.checks.{name}")
        module.NAME = name
        module.run = run
        monkeypatch.setitem(sys.modules, f"grading.checks.{name}", module)
    # No real reports; tests may swap render_submission.
    monkeypatch.setattr(engine.report, "render_submission", lambda results, out: None)
    return labs


@pytest.fixture
def submission(tmp_path) -> Path:
    sub = tmp_path / "alice"
    (sub / "pkg").mkdir(parents=True)
    (sub / "pkg" / "file.py").write_text("x = 1\n")
    return sub
