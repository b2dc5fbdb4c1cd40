"""docs/ARCHITECTURE.md names every module of ``grading/``, and only real ones.

The document is read in units: a table row, a paragraph or list item, a
fenced block. A unit names paths written out (``grading/pipeline/engine.py``,
``grading/hidden/suites/<lab>/``, where ``<lab>`` stands for any folder) and
bare module names (``runner.py``, ``test_*.py``) that belong to a folder the
same unit names, or to the folder of a file it names. A named package names
its ``__init__.py``.
"""

from __future__ import annotations

import importlib
import py_compile
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "ARCHITECTURE.md"
GRADING = ROOT / "grading"
#: Paths as the document writes them: `grading/...`, `tests/...`, ...
PATH = re.compile(r"\b((?:grading|dl_in_iot_course|tests|bench|docs)/[\w./<>*-]*)")
#: Bare module names (not part of a path): `runner.py`, `test_*.py`.
BARE = re.compile(r"(?<![\w/.*<>-])([A-Za-z0-9_*]+\.py)\b")
#: Compiled, not imported: the suites run inside the sandbox with their own
#: folder on the path, the lab solutions with the course's packages, and a
#: ``__main__`` runs when imported.
COMPILE_ONLY = ("grading/hidden/suites/", "grading/private/reference/l")


def units(text: str) -> list[str]:
    """The document cut into table rows, paragraphs and fenced blocks."""
    found, current, fenced = [], [], False

    def close() -> None:
        if current:
            found.append("\n".join(current))
            current.clear()

    for line in text.splitlines():
        if line.startswith("```"):
            if fenced:
                current.append(line)
                close()
            else:
                close()
                current.append(line)
            fenced = not fenced
        elif fenced:
            current.append(line)
        elif line.startswith("|") or line.startswith("- ") or not line.strip():
            close()
            if line.strip():
                current.append(line)
            if line.startswith("|"):
                close()
        else:
            current.append(line)
    close()
    return found


def expand(path: str) -> list[Path]:
    """The files or folders a written path stands for (``<lab>``: any)."""
    pattern = re.sub(r"<[^>]*>", "*", path)
    if "*" not in pattern:
        return [ROOT / pattern] if (ROOT / pattern).exists() else []
    return sorted(ROOT.glob(pattern))


@cache
def reading() -> tuple[tuple[str, ...], frozenset[Path], tuple[str, ...]]:
    """Return (paths written out, modules named, bare names found nowhere)."""
    written, named, stale = set(), set(), []
    for unit in units(DOC.read_text(encoding="utf-8")):
        folders = set()
        for raw in PATH.findall(unit):
            path = raw.rstrip(".,)/")
            written.add(path)
            for target in expand(path):
                if target.is_dir():
                    folders.add(target)
                    if (target / "__init__.py").is_file():
                        named.add(target / "__init__.py")
                else:
                    folders.add(target.parent)
                    if target.suffix == ".py":
                        named.add(target)
        for name in BARE.findall(PATH.sub(" ", unit)):
            hits = [m for folder in folders for m in folder.glob(name) if m.is_file()]
            if not hits:
                stale.append(f"{name} (no folder of its unit holds it)")
            named.update(hits)
    return tuple(sorted(written)), frozenset(named), tuple(stale)


def modules() -> list[Path]:
    return sorted(p for p in GRADING.rglob("*.py") if "__pycache__" not in p.parts)


def test_the_document_names_modules():
    written, named, _stale = reading()
    assert sum(p.endswith(".py") for p in written) >= 20, written
    assert GRADING / "pipeline" / "engine.py" in named
    assert GRADING / "hidden" / "runner.py" in named  # a bare name in its row


def test_every_bare_name_is_in_a_folder_its_row_names():
    assert not reading()[2]


def test_every_module_and_package_of_grading_is_named():
    named = reading()[1]
    missing = [p.relative_to(ROOT).as_posix() for p in modules() if p not in named]
    assert not missing, f"docs/ARCHITECTURE.md does not name {missing}"


def test_the_reading_rules_catch_what_they_should():
    unit = "| `grading/hidden/` | `runner.py`, `nope.py` |"
    assert units(f"a\nb\n\n{unit}\n- item") == ["a\nb", unit, "- item"]
    assert BARE.findall(PATH.sub(" ", unit)) == ["runner.py", "nope.py"]
    assert BARE.findall("`test_*.py`, grading/x/y.py") == ["test_*.py"]
    assert expand("grading/hidden/suites/<lab>/") == sorted(
        (GRADING / "hidden" / "suites").glob("*/")
    )


@pytest.mark.parametrize("path", reading()[0])
def test_every_named_path_exists(path):
    assert expand(path), f"docs/ARCHITECTURE.md names {path}, which does not exist"


@pytest.mark.parametrize(
    "path",
    sorted(
        p.relative_to(ROOT).as_posix() for p in reading()[1] if GRADING in p.parents
    ),
)
def test_every_named_module_imports(path, tmp_path):
    if path.startswith(COMPILE_ONLY) or path.endswith("__main__.py"):
        py_compile.compile(
            str(ROOT / path), cfile=str(tmp_path / "m.pyc"), doraise=True
        )
        return
    importlib.import_module(
        path[: -len(".py")].replace("/", ".").removesuffix(".__init__")
    )
