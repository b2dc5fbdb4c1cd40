"""The student-view cleaner takes linear time on any message a student writes.

Each pattern of ``secrecy`` is timed on inputs built to make a backtracking
matcher try every split of a run that falls just short (a byte dump of 15
groups, separators of many spaces). The cleaning runs in a child process so
that a pattern that backtracks exponentially fails the test instead of
hanging it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# One unit of each adversarial input; repeated to the length asked for.
_UNITS = {
    "ints, spaced, 15 then a letter": "1   " * 15 + "x",
    "ints with both separators": "1 , ; " * 15 + "x",
    "numpy int repr of 14": "[" + "".join(f"{i:>4}" for i in range(0, 98, 7)) + "]",
    "hex groups, 15 then a mark": "ff :: " * 15 + "#",
    "0x groups, 15 then a mark": "0x1 " * 15 + "#",
    "escaped bytes": "\\x1f" * 15 + "#",
    "hex of 31": "a" * 31 + " ",
    "base64 of 31": "A" * 31 + " ",
    "one long word": "Ab+/",
    "markers and spaces": "[data removed]" + " " * 50,
    "long frame": '  File "' + "a" * 300 + '", line 1, in x\n',
}

_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from grading.hidden import secrecy
units, length = json.loads(sys.argv[2]), int(sys.argv[3])
out = {}
for name, unit in units.items():
    text = unit * (length // len(unit) + 1)
    start = time.perf_counter()
    secrecy.elide_opaque(text)
    secrecy.student_frames(text)
    out[name] = time.perf_counter() - start
print(json.dumps(out))
"""


def _timings(units: dict[str, str], length: int, timeout: float) -> dict[str, float]:
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(ROOT), json.dumps(units), str(length)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"cleaning did not end within {timeout} s") from exc
    return json.loads(done.stdout)


def test_each_pattern_is_linear_on_adversarial_inputs():
    for name, unit in _UNITS.items():
        small = _timings({name: unit}, 10_000, timeout=20)[name]
        large = _timings({name: unit}, 20_000, timeout=20)[name]
        # A few milliseconds each here; exponential backtracking never ends.
        assert small < 0.25 and large < 0.5, (name, small, large)


def test_a_hostile_message_of_100_kb_is_cleaned_well_under_a_second():
    message = "RuntimeError: " + "".join(_UNITS.values()) * 120
    assert len(message) > 100_000
    code = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from grading.hidden import secrecy
from grading.pipeline.findings import Finding
root = Path(sys.argv[1])
finding = Finding(check="hidden.x.y", item="x", passed=False,
                  message=sys.stdin.read(), evidence="", audience="student")
start = time.perf_counter()
secrecy.student_view([finding], root / "grading/hidden/suites",
                     root / "dl_in_iot_course", root / "grading/private/reference")
print(time.perf_counter() - start, len(finding.message))
"""
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(ROOT)],
            input=message,
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError("a 100 KB message was not cleaned in 20 s") from exc
    seconds, shown = done.stdout.split()
    assert float(seconds) < 1.0, seconds  # about 0.3 s here
    assert int(shown) <= 1500 + len(" [...]")
