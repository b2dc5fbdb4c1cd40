"""Template versions as data: fingerprints, recorded facts, identification.

The tests that read the original course need its mirror (a clone or bare
copy of antmicro/dl-in-iot-course): ``COURSE_MIRROR`` or the machine's
``/work/.mirror/antmicro+dl-in-iot-course/repo``. Without it they are
skipped, saying so.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import textwrap
from pathlib import Path

import pytest

from grading.pipeline.rubric import load_rubric
from grading.versions import TemplateVersion, load_versions, versions_of
from grading.versions.fingerprint import (
    MAIN_BLOCK,
    bound_names,
    canonical,
    fingerprint_source,
    free_names,
    module_facts,
)
from grading.versions.record import record, to_toml, verify

ROOT = Path(__file__).resolve().parents[2]
LAB = "l03_pruning_clustering"
MODULE = "dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py"
MIRROR = Path(
    os.environ.get("COURSE_MIRROR", "/work/.mirror/antmicro+dl-in-iot-course/repo")
)
needs_mirror = pytest.mark.skipif(
    not (MIRROR / "HEAD").exists() and not (MIRROR / ".git").exists(),
    reason=f"no mirror of the original course at {MIRROR} (set COURSE_MIRROR)",
)

SOURCE = textwrap.dedent('''
    """A module."""
    import tensorflow as tf
    from pathlib import Path


    class Model:
        """A class."""

        def optimize(self, original: Path):
            """Prepare."""
            self.epochs = 1  # one epoch
            data = tf.data.Dataset.range(3)
            return [x for x in data]


    if __name__ == "__main__":
        Model().optimize(Path("m.h5"))
''')


def version_by_id(version_id: str) -> TemplateVersion:
    found = next((v for v in load_versions() if v.id == version_id), None)
    assert found is not None, version_id
    return found


# ------------------------------------------------------------- fingerprints


def test_fingerprint_ignores_formatting_comments_and_docstrings():
    reformatted = SOURCE.replace('"""Prepare."""', "'''Other words.'''").replace(
        "self.epochs = 1  # one epoch", "self.epochs = (\n            1\n        )"
    )
    assert fingerprint_source(reformatted) == fingerprint_source(SOURCE)
    changed = SOURCE.replace("self.epochs = 1", "self.epochs = 2")
    assert fingerprint_source(changed) != fingerprint_source(SOURCE)
    assert fingerprint_source("def broken(:\n") is None


def test_canonical_leaves_out_empty_fields_and_positions():
    text = canonical(ast.parse("def f():\n    pass\n"))
    assert "lineno" not in text and "decorator_list" not in text
    assert "type_params" not in text  # empty on Python 3.12+, absent on 3.11


def test_module_facts_list_functions_names_and_main_block():
    facts = module_facts(SOURCE)
    assert facts is not None
    assert set(facts.functions) == {"Model.optimize", MAIN_BLOCK}
    assert facts.functions["Model.optimize"].needs == ("Path", "tf")
    assert facts.names == ("Model", "Path", "tf")


def test_free_and_bound_names_follow_python_scopes():
    tree = ast.parse(
        textwrap.dedent("""
            import os
            try:
                import tf_keras
            except ImportError:
                tf_keras = None
            X = 1

            def f(a, *rest, key=DEFAULT, **more):
                import json
                local = [b for b in a]
                def inner():
                    return missing_name
                return json, local, os, tf_keras, X, print, inner, rest, more
        """)
    )
    assert bound_names(tree) == {"os", "tf_keras", "X", "f"}
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
    assert free_names(function) == {"DEFAULT", "os", "tf_keras", "X", "missing_name"}


# ------------------------------------------------------------- the data


def test_every_version_of_a_lab_has_its_facts():
    rubric = load_rubric(LAB)
    words = set(rubric.requirements)
    described = {
        "trainable",
        "strip_clustering",
        "strip_pruning",
        "theory_quantization",
        "structured_pruning",
    }
    assert words <= described
    ids = [v.id for v in load_versions()]
    assert len(ids) == len(set(ids))
    for version in versions_of(LAB):
        assert set(version.asks(LAB)) <= described, version.id
        if version.is_ours:
            continue
        facts = version.lab(LAB)
        assert facts["module"] == rubric.student_module
        assert facts["module_fingerprints"] and facts["names"], version.id
        assert MODULE in facts["files"], version.id
        for name in ("TFMOTOptimizedModel.optimize_model", "ClusteredModel.__init__"):
            assert facts["functions"][name]["fingerprint"], (version.id, name)


def test_what_each_version_asks():
    asks = {v.id: set(v.asks(LAB)) for v in versions_of(LAB)}
    assert asks["ours"] == {
        "trainable",
        "strip_clustering",
        "strip_pruning",
        "structured_pruning",
    }
    assert "theory_quantization" in asks["antmicro-2021-11"]
    assert "theory_quantization" not in asks["antmicro-2022-11-theory-removed"]
    for early in ("antmicro-2021-11", "antmicro-2024-03", "antmicro-2025-03-tasks"):
        assert not asks[early] & {"trainable", "strip_clustering"}, early
    for late in ("antmicro-2025-03", "antmicro-2025-04"):
        assert {"trainable", "strip_clustering"} <= asks[late], late
    assert not any("strip_pruning" in a for v, a in asks.items() if v != "ours")


def test_the_versions_the_module_cannot_tell_apart_are_documented():
    groups: dict[tuple, list[str]] = {}
    for version in versions_of(LAB):
        if not version.is_ours:
            key = tuple(version.lab(LAB)["module_fingerprints"])
            groups.setdefault(key, []).append(version.id)
    assert sorted(groups.values()) == [
        [
            "antmicro-2021-11",
            "antmicro-2022-11-theory-removed",
            "antmicro-2022-11",
            "antmicro-2024-03",
        ],
        ["antmicro-2025-03-tasks", "antmicro-2025-03", "antmicro-2025-04"],
    ]
    text = (ROOT / "grading/versions/templates.toml").read_text(encoding="utf-8")
    assert "cannot tell apart" in text


# ------------------------------------------------------------- the mirror


@needs_mirror
def test_recorded_facts_hold_in_the_mirror():
    assert verify(MIRROR) == []


@needs_mirror
def test_verify_reports_a_wrong_fact():
    versions = list(load_versions())
    index = next(i for i, v in enumerate(versions) if v.id == "antmicro-2025-04")
    labs = {LAB: {**versions[index].lab(LAB), "names": ["tf"]}}
    versions[index] = dataclasses.replace(versions[index], labs=labs, tree="0" * 40)
    problems = verify(MIRROR, tuple(versions))
    assert any("antmicro-2025-04" in p and "names" in p for p in problems)
    assert any("antmicro-2025-04: tree" in p for p in problems)


@needs_mirror
def test_record_prints_tables_that_load_back():
    import tomllib

    facts = record(MIRROR, "9ed40d9", None, str(Path(MODULE).parent), MODULE)
    text = "[[versions]]\nid = 'x'\n" + to_toml(LAB, facts, ["trainable"])
    data = tomllib.loads(text)["versions"][0]["labs"][LAB]
    assert data["asks"] == ["trainable"]
    assert data["functions"] == version_by_id("antmicro-2025-04").lab(LAB)["functions"]
