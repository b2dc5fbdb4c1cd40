"""Protected files and template functions are restored before the tests."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from grading.pipeline.rubric import load_rubric
from grading.sandbox import restore_protected
from grading.sandbox.protected import _match
from grading.sandbox.protected_functions import _find

STUB = textwrap.dedent('''
    """Experiments."""


    class Base:
        def optimize_model(self, original):
            """Prepare data."""
            self.epochs = 1
            self.compress(original)

        def compress(self, original):
            raise NotImplementedError


    class Clustered(Base):
        def __init__(self, k=16):
            self.k = k

        def compress(self, original):
            raise NotImplementedError


    def main():
        return 0
''')

# The student's own method (Clustered.compress), the last one of the classes.
LAST_COMPRESS = (
    "    def compress(self, original):\n        raise NotImplementedError\n\n\ndef"
)

PROTECTED = ["pkg/misc/**", "pkg/__init__.py"]
FUNCTIONS = [
    "pkg/exp.py::Base.optimize_model",
    "pkg/exp.py::Clustered.__init__",
    "pkg/exp.py::main",
]
RUBRIC = (PROTECTED, FUNCTIONS)


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def instructor(tmp_path):
    return _tree(
        tmp_path / "instructor",
        {
            "pkg/__init__.py": "import os\n",
            "pkg/misc/utils.py": "def helper():\n    return 1\n",
            "pkg/misc/data.py": "X = 1\n",
            "pkg/exp.py": STUB,
        },
    )


def test_untouched_submission_gives_no_findings(tmp_path, instructor):
    work = _tree(
        tmp_path / "work",
        {
            "pkg/__init__.py": "import os\n",
            "pkg/misc/utils.py": "def helper():\n    return 1\n",
            "pkg/misc/data.py": "X = 1\n",
            # Student work inside non-protected methods, and an edited docstring
            # and comment in a protected one, are fine.
            "pkg/exp.py": STUB.replace(
                '"""Prepare data."""', '"""My notes."""  # hi'
            ).replace(
                LAST_COMPRESS,
                LAST_COMPRESS.replace("raise NotImplementedError", "return 42"),
            ),
        },
    )
    assert restore_protected(work, *RUBRIC, instructor) == []


def test_modified_added_and_missing_files_are_restored(tmp_path, instructor):
    work = _tree(
        tmp_path / "work",
        {
            "pkg/__init__.py": "import os\nos.environ['HACK'] = '1'\n",
            "pkg/misc/utils.py": "def helper():\n    return 2\n",
            "pkg/misc/extra.py": "EVIL = 1\n",
            "pkg/exp.py": STUB,
        },
    )
    findings = restore_protected(work, *RUBRIC, instructor)
    assert (work / "pkg/__init__.py").read_text() == "import os\n"
    assert (work / "pkg/misc/utils.py").read_text() == "def helper():\n    return 1\n"
    assert (work / "pkg/misc/data.py").read_text() == "X = 1\n"
    assert not (work / "pkg/misc/extra.py").exists()
    by_path = {}
    for f in findings:
        by_path.setdefault(f.data["path"], []).append(f)
    assert sorted(by_path) == [
        "pkg/__init__.py",
        "pkg/misc/data.py",
        "pkg/misc/extra.py",
        "pkg/misc/utils.py",
    ]
    for rel, pair in by_path.items():
        assert sorted(f.audience for f in pair) == ["instructor", "student"], rel
        assert all(f.item == "" and f.passed is None for f in pair)
    diff = next(f for f in by_path["pkg/misc/utils.py"] if f.audience == "instructor")
    assert "-    return 2" in diff.evidence and "+    return 1" in diff.evidence
    student = next(f for f in by_path["pkg/__init__.py"] if f.audience == "student")
    assert "reset" in student.message
    assert {f.data["action"] for f in findings} == {"restored", "recreated", "removed"}


def test_modified_template_functions_are_reset(tmp_path, instructor):
    edited = (
        STUB.replace("self.epochs = 1", "self.epochs = 0  # faster")
        .replace("self.k = k", "self.k = 2")
        .replace(
            LAST_COMPRESS,
            LAST_COMPRESS.replace("raise NotImplementedError", "return 'mine'"),
        )
    )
    work = _tree(tmp_path / "work", {"pkg/exp.py": edited})
    findings = restore_protected(work, [], FUNCTIONS, instructor)
    text = (work / "pkg/exp.py").read_text()
    tree = ast.parse(text)
    assert "self.epochs = 1" in text and "self.epochs = 0" not in text
    assert "self.k = k" in text
    # The student's own method is kept.
    assert "return 'mine'" in text
    assert _find(tree, "Clustered.compress")[0] is not None
    functions = sorted({f.data["function"] for f in findings})
    assert functions == ["Base.optimize_model", "Clustered.__init__"]
    assert all(f.code == "protected_function_restored" for f in findings)


def test_deleted_method_is_recreated(tmp_path, instructor):
    removed = STUB.replace("    def __init__(self, k=16):\n        self.k = k\n\n", "")
    work = _tree(tmp_path / "work", {"pkg/exp.py": removed})
    findings = restore_protected(
        work, [], ["pkg/exp.py::Clustered.__init__"], instructor
    )
    text = (work / "pkg/exp.py").read_text()
    node, _ = _find(ast.parse(text), "Clustered.__init__")
    assert node is not None
    assert [f.code for f in findings] == ["protected_function_recreated"] * 2


def test_unparsable_module_is_reported_not_crashed(tmp_path, instructor):
    work = _tree(tmp_path / "work", {"pkg/exp.py": "def broken(:\n"})
    findings = restore_protected(work, *RUBRIC, instructor)
    codes = {f.code for f in findings}
    assert "protected_unparsable" in codes
    assert (work / "pkg/exp.py").read_text() == "def broken(:\n"


def test_glob_semantics():
    assert _match("pkg/misc/a/b.py", "pkg/misc/**")
    assert not _match("pkg/miscx/a.py", "pkg/misc/**")
    assert _match("pkg/__init__.py", "pkg/__init__.py")
    assert not _match("pkg/sub/__init__.py", "pkg/*.py")


def test_lab03_rubric_names_existing_template_functions():
    """Every protected function of the real rubric exists in the course stub."""
    root = Path(__file__).resolve().parents[2]
    rubric = load_rubric("l03_pruning_clustering")
    assert rubric.protected and rubric.protected_functions
    for spec in rubric.protected_functions:
        rel, _, qualname = spec.partition("::")
        path = root / rel
        if not path.exists():
            pytest.skip(f"{rel} not in this checkout yet")
        node, _ = _find(ast.parse(path.read_text()), qualname)
        assert node is not None, spec
    for pattern in rubric.protected:
        assert any(root.glob(pattern.replace("/**", "/*"))), pattern
