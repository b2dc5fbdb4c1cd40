"""docs/ARCHITECTURE.md names only modules and folders that exist and import."""

from __future__ import annotations

import importlib
import py_compile
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "ARCHITECTURE.md"
#: Paths as the document writes them: `grading/...`, `dl_in_iot_course/...`.
PATH = re.compile(r"\b((?:grading|dl_in_iot_course)/[A-Za-z0-9_./<>-]*)")
#: Modules that run inside the sandbox with their suite folder on the path.
IN_SANDBOX = "grading/hidden/suites/"


def _named() -> list[str]:
    found = set()
    for raw in PATH.findall(DOC.read_text(encoding="utf-8")):
        path = raw.rstrip(".,)/")
        if "<" not in path:
            found.add(path)
    return sorted(found)


def test_the_document_names_modules():
    named = _named()
    assert sum(p.endswith(".py") for p in named) >= 20, named


@pytest.mark.parametrize("path", _named())
def test_every_named_path_exists_and_imports(path, tmp_path):
    target = ROOT / path
    assert target.exists(), f"docs/ARCHITECTURE.md names {path}, which does not exist"
    if not path.endswith(".py"):
        return
    if path.startswith(IN_SANDBOX):
        py_compile.compile(str(target), cfile=str(tmp_path / "m.pyc"), doraise=True)
        return
    module = path[: -len(".py")].replace("/", ".").removesuffix(".__init__")
    importlib.import_module(module)
