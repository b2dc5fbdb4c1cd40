"""The corpus of hostile submissions, as data.

Each :class:`Case` says how to turn a clean student template (the stubs) into
one hostile submission, and what the grader must make of it. The harness in
``conftest.py`` builds every case at test time, grades all of them in ONE
batch together with two normal submissions, and ``test_hostile.py`` asserts
the expectations per case.

Placeholders in file contents are filled in when the case is built:

``@@MARKER@@``   a token unique to this test session (it names leftover
                 processes and files, so the tests can find them)
``@@OUT@@``      the batch output folder
``@@GRADER@@``   the copy of the instructor repository the batch runs from
``@@OUTSIDE@@``  a folder outside every submission, with a secret file
``@@SELF@@``     this submission's id
``@@VICTIM@@``   the id of a normal submission graded in the same batch
``@@SUBS@@``     the folder of every submission of the batch
``@@SECRET@@``   a secret in the grader's environment (never in an output)

The cases of the isolation issue (remounts, daemons, the host's /proc,
classmates' and reference code, a forged original model, shadow packages,
huge outputs and inputs, invisible characters, a folder name the batch cannot
use) are in ``hostile_isolation.py``.

The payloads are bounded so that a grader that fails to contain them cannot
take the test machine down: at most 50 extra processes, each of which exits on
its own after two minutes; memory touched in 512 MiB steps and never more than
9 GiB; every write is a new file or a file in the disposable grader copy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from hostile_payloads import (
    CONFTEST,
    DELAYED_TAMPER,
    DETACH,
    FAKE_INSPECTION,
    FORGE_RESULTS,
    KILL_OTHERS,
    PYTEST_PATCH,
    READ_CALLERS,
    SCRIPT_SUMMARY,
    SKIP_PLUGIN,
    SYMLINK_SUMMARY,
    TAMPER_NEIGHBOURS,
    TRAVERSAL_SUMMARY,
    WRITE_EVERYWHERE,
    _both_pipelines,
    _method,
    _module_patch,
)

#: Code items of lab 03 (each fed by hidden tests and artifact checks).
CODE_ITEMS = ("tfmot_optimized_model", "clustered_model", "pruned_model")
SUMMARY = "summaries/l03_pruning_clustering/summary.md"


@dataclass(frozen=True)
class Case:
    """One hostile submission and what must hold for it.

    Parameters
    ----------
    id : str
        Submission folder name (and id in the batch output).
    attack : str
        What the submission tries, in one sentence.
    edits : tuple
        Steps applied to the stub template, in order:
        ``("write", path, text)``, ``("append", path, text)`` (to an existing
        file, e.g. the student module), ``("symlink", path, target)``,
        ``("sparse", path, size_bytes)``, ``("repeat", path, unit, count[,
        head, tail])`` (a huge file, built when the case is), and
        ``("commit", message[, unit, count])`` (commit everything so far with
        ``message`` + ``unit * count``; without a commit edit, or with changes
        after the last one, one commit ``<lab>: Implement the lab`` follows).
    faked : tuple of str
        Rubric items the submission tries to fake: each must score 0.
    failed_checks : tuple of str
        Regexes of finding ``check`` ids of which at least one finding must
        have ``passed == False`` (e.g. the strip check of an unstripped model).
    seen : str or None
        Regex (case-insensitive) that must match the instructor view of the
        findings (messages, evidence, codes): the finding says what was seen.
    slow : bool
        The case runs into the time limit (endless loop).
    no_reference_leak : bool
        The submission contains no reference code, so none may appear in its
        reports (False for cases that carry a working pipeline).
    earns : tuple of str
        Rubric items that must earn their full points (the attack failed and
        the honest part of the submission is graded as such).
    absent : str or None
        Regex that must match nothing in any output file of the case (proof
        that something the attack planted never ran or never got out).
    codes : tuple of str
        Regexes of which each must match ``"<check> <code>"`` of some finding,
        whatever its verdict (``summary.file too_complex``).
    at_most : tuple of (str, float)
        Rubric items and the most points each may earn (an attack on a rule
        that deducts, not on an item that it zeroes).
    folder : str
        Folder name of the submission when it is not ``id`` (a name the batch
        cannot use as a student id).
    not_graded : str
        Words of the reason the gradebook must give for not grading it; such
        a case is left out of every per-submission test.
    """

    id: str
    attack: str
    edits: tuple
    faked: tuple[str, ...] = CODE_ITEMS
    failed_checks: tuple[str, ...] = ()
    seen: str | None = None
    slow: bool = False
    no_reference_leak: bool = True
    tags: tuple[str, ...] = field(default=())
    earns: tuple[str, ...] = ()
    absent: str | None = None
    codes: tuple[str, ...] = ()
    at_most: tuple[tuple[str, float], ...] = ()
    folder: str = ""
    not_graded: str = ""

    @property
    def folder_name(self) -> str:
        """The submission's folder in the batch's folder of clones."""
        return self.folder or self.id


CASES: tuple[Case, ...] = (
    Case(
        id="conftest_all_passed",
        attack="conftest.py files (root, tests/, package) that pass every test "
        "and drop the real ones",
        edits=(
            ("write", "conftest.py", CONFTEST),
            ("write", "tests/conftest.py", CONFTEST),
            ("write", "dl_in_iot_course/conftest.py", CONFTEST),
            ("write", "dl_in_iot_course/l03_pruning_clustering/conftest.py", CONFTEST),
        ),
        seen=r"conftest\.py",
    ),
    Case(
        id="pytest_config_addopts",
        attack="pytest.ini, setup.cfg and tox.ini with addopts that deselect "
        "every test, and a pyproject.toml whose addopts load a plugin that "
        "skips them",
        edits=(
            (
                "write",
                "pytest.ini",
                "[pytest]\naddopts = -k nothing_matches_this -p no:warnings\n"
                "testpaths = nothing\n",
            ),
            ("write", "setup.cfg", "[tool:pytest]\naddopts = -k nothing_matches\n"),
            ("write", "tox.ini", "[pytest]\naddopts = --collect-only\n"),
            (
                "write",
                "pyproject.toml",
                '[tool.pytest.ini_options]\naddopts = "-p hostile_skip -rN"\n'
                'pythonpath = ["."]\n',
            ),
            ("write", "hostile_skip.py", SKIP_PLUGIN),
        ),
        seen=r"pytest\.ini|pyproject\.toml|setup\.cfg|tox\.ini",
    ),
    Case(
        id="startup_hooks",
        attack="sitecustomize.py, usercustomize.py and .pth files (repository "
        "root and package) that patch pytest's reports to passed",
        edits=(
            ("write", "sitecustomize.py", PYTEST_PATCH),
            ("write", "dl_in_iot_course/sitecustomize.py", PYTEST_PATCH),
            ("write", "usercustomize.py", PYTEST_PATCH),
            ("write", "hostile.pth", "import hostile_boot\n"),
            ("write", "dl_in_iot_course/hostile.pth", "import hostile_boot\n"),
            ("write", "hostile_boot.py", PYTEST_PATCH),
        ),
        seen=r"sitecustomize|usercustomize|\.pth",
    ),
    Case(
        id="import_patches_pytest",
        attack="the student module itself patches pytest's reports to passed "
        "when it is imported",
        edits=(_module_patch(PYTEST_PATCH),),
    ),
    Case(
        id="sys_exit_at_import",
        attack="sys.exit(0) when the student module is imported",
        edits=(_module_patch("import sys as _s\n_s.exit(0)"),),
        seen=r"exit",
    ),
    Case(
        id="os_exit_at_import",
        attack="os._exit(0) when the student module is imported (pytest dies "
        "with status 0)",
        edits=(_module_patch("import os as _o\n_o._exit(0)"),),
        seen=r"exit|ended|crash|died|stopped|no test",
    ),
    Case(
        id="endless_loop",
        attack="an endless loop in compress_and_fine_tune, after starting a "
        "detached sleeper",
        edits=(
            _module_patch(
                DETACH,
                _method(
                    "ClusteredModel",
                    "compress_and_fine_tune",
                    "_hostile_spawn(2)\nwhile True:\n    pass",
                ),
                _method(
                    "PrunedModel",
                    "compress_and_fine_tune",
                    "_hostile_spawn(2)\nwhile True:\n    pass",
                ),
            ),
        ),
        faked=("clustered_model", "pruned_model"),
        seen=r"time",
        slow=True,
    ),
    Case(
        id="memory_hog",
        attack="one allocation of 64 GiB, then touching memory in 512 MiB "
        "steps up to 9 GiB",
        edits=(
            _module_patch(
                _method(
                    "ClusteredModel",
                    "compress_and_fine_tune",
                    "import numpy as np\n"
                    "try:\n"
                    "    big = np.ones(64 << 30, dtype=np.uint8)\n"
                    "except MemoryError:\n"
                    "    pass\n"
                    "chunks = []\n"
                    "for _ in range(18):\n"
                    "    chunks.append(b'\\x01' * (512 << 20))\n"
                    "raise SystemExit(0)",
                ),
            ),
        ),
        faked=("clustered_model",),
        seen=r"memory",
    ),
    Case(
        id="fork_many",
        attack="50 detached processes (double fork, new session) started at "
        "import, each sleeping two minutes",
        edits=(_module_patch(DETACH, "_hostile_spawn(50)"),),
    ),
    Case(
        id="write_grader_files",
        attack="writes into the batch output, the grader's files, the hidden "
        "tests, the other students' results and ~/, now and from a detached "
        "process later",
        edits=(
            _module_patch(
                DETACH,
                WRITE_EVERYWHERE,
                DELAYED_TAMPER,
                "_hostile_write_everywhere('import')\n"
                "_hostile_detach(_hostile_delayed_tamper, 90)",
                _method(
                    "ClusteredModel",
                    "compress_and_fine_tune",
                    "_hostile_write_everywhere('run')\nraise SystemExit(0)",
                ),
            ),
        ),
    ),
    Case(
        id="tamper_neighbours",
        attack="breaks the working copies and artifacts of the submissions "
        "graded at the same time, from the tests and from a detached process",
        edits=(
            _module_patch(
                DETACH,
                TAMPER_NEIGHBOURS,
                "_hostile_detach(_hostile_tamper_neighbours, 90, "
                "__import__('os').path.dirname(__file__))",
                _method(
                    "ClusteredModel",
                    "compress_and_fine_tune",
                    "_hostile_tamper_neighbours(5, __import__('os').path.dirname("
                    "__file__))\nraise SystemExit(0)",
                ),
            ),
        ),
    ),
    Case(
        id="kill_the_grader",
        attack="SIGKILL to the batch, the grading processes and the other "
        "submissions' test runs, at import and in compress_and_fine_tune",
        edits=(
            _module_patch(
                KILL_OTHERS,
                "_hostile_kill_others()",
                _method(
                    "ClusteredModel",
                    "compress_and_fine_tune",
                    "_hostile_kill_others()\nraise SystemExit(0)",
                ),
            ),
        ),
    ),
    Case(
        id="read_hidden_tests",
        attack="reads the hidden tests and the reference and prints them, "
        "writes them into its outputs and raises them in exception messages",
        edits=(
            _module_patch(
                READ_CALLERS,
                "print(_hostile_read_callers())",
                _method("TFMOTOptimizedModel", "prepare_model", "_hostile_leak(self)"),
                _method("TFMOTOptimizedModel", "run_inference", "_hostile_leak(self)"),
                _method(
                    "ClusteredModel", "compress_and_fine_tune", "_hostile_leak(self)"
                ),
                _method("PrunedModel", "compress_and_fine_tune", "_hostile_leak(self)"),
            ),
        ),
    ),
    Case(
        id="forge_recorder",
        attack="finds the grader's in-process result recorder and mocks "
        "through gc and rewrites every outcome (and the results file) to "
        "passed",
        edits=(_module_patch(FORGE_RESULTS, PYTEST_PATCH),),
    ),
    Case(
        id="monkeypatch_tfmot",
        attack="calls every TFMOT function the spies watch with the right "
        "arguments, ships the untouched model, and patches numpy.unique and "
        "Interpreter.get_tensor so that in-process checks see clusters and "
        "zeros",
        edits=(
            _module_patch(
                FAKE_INSPECTION,
                _both_pipelines(fake=True),
                "_hostile_fake_inspection(2)",
            ),
        ),
        faked=("clustered_model", "pruned_model"),
        seen=r"unique|cluster|sparsity|zeros",
        no_reference_leak=False,
    ),
    Case(
        id="fake_tflite_random",
        attack="writes random bytes where the .tflite should be",
        edits=(
            _module_patch(
                _method(
                    "ClusteredModel",
                    "compress_and_fine_tune",
                    "import os\nopen(str(self.modelpath), 'wb').write("
                    "os.urandom(8192))",
                ),
                _method(
                    "PrunedModel",
                    "compress_and_fine_tune",
                    "import os\nopen(str(self.modelpath), 'wb').write("
                    "b'TFL3' + os.urandom(8192))",
                ),
            ),
        ),
        faked=("clustered_model", "pruned_model"),
        seen=r"tflite|flatbuffer|load|model",
    ),
    Case(
        id="fake_tflite_foreign",
        attack="runs the honest pipeline on a classmate's model (same "
        "architecture, other weights) and ships that artifact",
        edits=(_module_patch(_both_pipelines(foreign=True)),),
        faked=("clustered_model", "pruned_model"),
        seen=r"original|derive|weights|outputs",
        no_reference_leak=False,
    ),
    Case(
        id="fake_tflite_unstripped",
        attack="calls strip_clustering / strip_pruning for the spies but "
        "ships the unstripped model",
        edits=(_module_patch(_both_pipelines(strip=False)),),
        faked=(),
        failed_checks=(r"strip",),
        seen=r"strip",
        no_reference_leak=False,
    ),
    Case(
        id="filesystem_tricks",
        attack="symbolic links out of the submission (a secret file, "
        "/etc/passwd, the hidden tests, /, a loop), summary images that are "
        "such links, and a 1 GB sparse file",
        edits=(
            (
                "symlink",
                "summaries/l03_pruning_clustering/img/cm.png",
                "@@OUTSIDE@@/secret.png",
            ),
            (
                "symlink",
                "summaries/l03_pruning_clustering/img/passwd.png",
                "/etc/passwd",
            ),
            (
                "symlink",
                "summaries/l03_pruning_clustering/img/hidden.py",
                "@@GRADER@@/grading/hidden/suites",
            ),
            ("symlink", "dl_in_iot_course/rootfs", "/"),
            ("symlink", "dl_in_iot_course/loop", "loop"),
            ("symlink", "dl_in_iot_course/misc/secret.py", "@@OUTSIDE@@/secret.py"),
            ("sparse", "dl_in_iot_course/l03_pruning_clustering/weights.bin", 1024**3),
            ("write", SUMMARY, SYMLINK_SUMMARY),
        ),
        faked=(),
        seen=r"symbolic link|symlink",
    ),
    Case(
        id="hostile_summary",
        attack="a summary with <script>, event handlers, javascript: links, "
        "markup that tries to break out of the report, image links that climb "
        "out of the repository, and 70 KB of padding (a larger summary is refused "
        "with a finding that names the reading limit: tests/summary)",
        edits=(
            (
                "write",
                SUMMARY,
                SCRIPT_SUMMARY + TRAVERSAL_SUMMARY + ("padding " * 16 + "\n") * 500,
            ),
        ),
        faked=(),
        seen=r"outside",
    ),
)

from hostile_isolation import ISOLATION_CASES  # noqa: E402 - needs Case

CASES = CASES + ISOLATION_CASES
#: ``HOSTILE_CASES=id,id`` builds and grades only those cases (beside the
#: normal submissions): the unprivileged rerun of tests/engine/test_unprivileged.py.
SUBSET = frozenset(filter(None, os.environ.get("HOSTILE_CASES", "").split(",")))
if SUBSET:
    CASES = tuple(case for case in CASES if case.id in SUBSET)
#: The cases the batch grades (the others it lists as not graded).
GRADED = tuple(case for case in CASES if not case.not_graded)

#: Normal submissions graded in the same batch: id -> base.
NORMALS = {"normal_reference": "reference", "normal_stub": "stub"}
#: The normal submission whose results the hostile ones try to tamper with.
VICTIM = "normal_reference"


def case_by_id(case_id: str) -> Case:
    """Return the case named ``case_id``."""
    for case in CASES:
        if case.id == case_id:
            return case
    raise KeyError(case_id)
