"""Protected template functions per template version.

A fork's template function is left alone when it is that version's own
(same fingerprint), and replaced by our self-contained equivalent otherwise.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from grading.pipeline.rubric import load_rubric
from grading.sandbox.protected import restore_protected
from grading.versions import load_versions, versions_of
from grading.versions.fingerprint import module_facts

ROOT = Path(__file__).resolve().parents[2]
LAB = "l03_pruning_clustering"
MODULE = "dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py"


FORK_MODULE = textwrap.dedent('''
    import tensorflow as tf
    import tensorflow_model_optimization as tfmot
    from pathlib import Path

    from dl_in_iot_course.misc.modeltester import ModelTester


    class TFMOTOptimizedModel(ModelTester):
        def optimize_model(self, originalmodel: Path):
            """Given by the template."""
            self.epochs = 1
            self.compress_and_fine_tune(originalmodel)


    class ClusteredModel(TFMOTOptimizedModel):
        def __init__(self, dataset, modelpath, originalmodel=None, logdir=None,
                     num_clusters=16):
            self.num_clusters = num_clusters
            super().__init__(dataset, modelpath, originalmodel, logdir)
''')


def fork_version(source: str) -> dict:
    """Facts of a made-up original version whose template is ``source``."""
    facts = module_facts(source)
    return {
        "functions": {
            name: {"fingerprint": f.fingerprint, "needs": list(f.needs)}
            for name, f in facts.functions.items()
        }
    }


def write_fork(tmp_path: Path, source: str) -> Path:
    path = tmp_path / MODULE
    path.parent.mkdir(parents=True)
    path.write_text(source, encoding="utf-8")
    return path


def test_a_forks_own_template_function_is_left_alone(tmp_path):
    path = write_fork(tmp_path, FORK_MODULE.replace('"""Given', '"""Still given'))
    functions = load_rubric(LAB).protected_functions
    found = restore_protected(tmp_path, [], functions, ROOT, fork_version(FORK_MODULE))
    assert found == []
    assert "Still given" in path.read_text(encoding="utf-8")


def test_a_changed_template_function_gets_our_self_contained_equivalent(tmp_path):
    changed = FORK_MODULE.replace("self.epochs = 1", "self.epochs = 10")
    path = write_fork(tmp_path, changed)
    functions = load_rubric(LAB).protected_functions
    found = restore_protected(
        tmp_path, [], functions, ROOT, fork_version(FORK_MODULE), "v-fork"
    )
    assert {f.data["function"] for f in found} == {"TFMOTOptimizedModel.optimize_model"}
    instructor = next(f for f in found if f.audience == "instructor")
    assert "v-fork" in instructor.message and instructor.data["unresolved"] == []
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    method = tree.body[4].body[0]
    assert ast.unparse(method.body[1]) == "import tf_keras"  # after the docstring
    assert "self.epochs = 10" not in text and "tf_keras.optimizers.Adam" in text
    # make_tasks and main are protected in our template, not in this version.
    assert "def make_tasks" not in text and "def main" not in text
    # The untouched __init__ keeps the fork's formatting.
    assert "num_clusters=16):" in text


def test_our_template_is_still_compared_with_our_stub(tmp_path):
    ours = (ROOT / MODULE).read_text(encoding="utf-8")
    path = write_fork(tmp_path, ours.replace("self.epochs = 1\n", "self.epochs = 3\n"))
    functions = load_rubric(LAB).protected_functions
    found = restore_protected(tmp_path, [], functions, ROOT)
    assert [f.data["function"] for f in found if f.audience == "student"] == [
        "TFMOTOptimizedModel.optimize_model"
    ]
    assert path.read_text(encoding="utf-8") == ours


def test_every_recorded_version_leaves_its_own_template_alone():
    """The fingerprints of the data are those protected.py compares."""
    rubric = load_rubric(LAB)
    for version in load_versions():
        facts = version.lab(LAB)
        for spec in rubric.protected_functions:
            entry = (facts.get("functions") or {}).get(spec.partition("::")[2])
            if entry is not None:
                assert len(entry["fingerprint"]) == 20, (version.id, spec)


def test_our_replacement_functions_need_nothing_a_version_lacks():
    """Every protected function, with the imports the sandbox adds, fits."""
    from grading.sandbox.protected_functions import _find, portable_source

    rubric = load_rubric(LAB)
    ours_text = (ROOT / MODULE).read_text(encoding="utf-8")
    ours = ast.parse(ours_text)
    for version in versions_of(LAB):
        if version.is_ours:
            continue
        facts = version.lab(LAB)
        module = ast.parse(
            "\n".join(
                f"import {n}" if n[0].islower() else f"{n} = None"
                for n in facts["names"]
            )
        )
        for spec in rubric.protected_functions:
            qualname = spec.partition("::")[2]
            if qualname not in facts["functions"]:
                continue
            node, _ = _find(ours, qualname)
            lines = ours_text.splitlines(keepends=True)
            source = "".join(lines[node.lineno - 1 : node.end_lineno])
            _, added, unresolved = portable_source(source, ours, module)
            assert unresolved == [], (version.id, qualname, unresolved)
            if qualname == "TFMOTOptimizedModel.optimize_model":
                assert added == ["import tf_keras"], (version.id, added)


def test_a_forks_own_course_files_are_replaced_without_blaming_the_student(tmp_path):
    from grading.util.git import git_blob_sha

    misc = tmp_path / "dl_in_iot_course/misc"
    misc.mkdir(parents=True)
    theirs = b"class ModelTester:\n    pass\n"
    (misc / "modeltester.py").write_bytes(theirs)
    (misc / "pet_dataset.py").write_bytes(b"# changed by the student\n")
    (misc / "old_helper.py").write_bytes(b"X = 1\n")
    own = {
        "dl_in_iot_course/misc/modeltester.py": [git_blob_sha(theirs)],
        "dl_in_iot_course/misc/pet_dataset.py": ["0" * 40],
        "dl_in_iot_course/misc/old_helper.py": [git_blob_sha(b"X = 1\n")],
    }
    found = restore_protected(
        tmp_path, ["dl_in_iot_course/misc/**"], [], ROOT, {"protected_files": own}
    )
    students = {f.data["path"] for f in found if f.audience == "student"}
    assert students == {"dl_in_iot_course/misc/pet_dataset.py"}
    quiet = {f.data["path"]: f.data["action"] for f in found}
    assert quiet["dl_in_iot_course/misc/modeltester.py"] == "restored"
    assert quiet["dl_in_iot_course/misc/old_helper.py"] == "removed"
    assert quiet["dl_in_iot_course/misc/cli.py"] == "recreated"  # ours only
    assert all(
        f.code == "protected_version_file"
        for f in found
        if f.data["path"] != "dl_in_iot_course/misc/pet_dataset.py"
    )
    ours = (ROOT / "dl_in_iot_course/misc/modeltester.py").read_bytes()
    assert (misc / "modeltester.py").read_bytes() == ours


def test_hostile_sources_neither_crash_the_restore_nor_the_identification(tmp_path):
    from grading.versions.identify import identify

    deep = "x = " + "-" * 200_000 + "1\n"
    path = write_fork(tmp_path, deep)
    functions = load_rubric(LAB).protected_functions
    found = restore_protected(tmp_path, [], functions, ROOT)
    assert [f.code for f in found] == ["protected_unparsable"]
    assert path.read_text(encoding="utf-8") == deep
    assert identify(tmp_path, LAB, MODULE).method == "unknown"
