"""The hidden tests' outcomes, as findings: what ran, what failed, what timed out.

The recorder plugin (``suites/grader_plugin.py``) writes one outcome per test
into a file of the child's: this module reads it without trusting it (no
links followed, a size limit, every field checked and capped) and turns it
into one finding per rubric check, variants aggregated. A test the run could
not finish because of a time limit is ``timeout`` ("could not check: time
limit"), never a failure: its finding decides nothing (``passed=None``) and
the item waits for a regrade.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grading.hidden import hints
from grading.pipeline.findings import Finding
from grading.pipeline.rubric import Rubric
from grading.util.io import read_untrusted_json
from grading.util.text import cap

#: Largest results file read from the child, bytes.
MAX_RESULTS_BYTES = 4 * 1024 * 1024
#: Longest message and evidence kept from one test outcome.
MAX_MESSAGE, MAX_EVIDENCE = 1500, 3000
#: What a check that ran out of time says.
TIMEOUT_MESSAGE = "could not check: time limit"
TIMEOUT_HINT = (
    "The grader ran out of time before it could check this, so it decides "
    "nothing yet: the submission is graded again with more time. If it "
    "keeps happening, look for an endless loop or more training than "
    "`self.epochs` asks for."
)


def with_hint(finding: Finding, rubric: Rubric, extra: str = "") -> Finding:
    """Add the hint (and a more specific code) to a failed finding."""
    if finding.passed is None and finding.code == "timeout":
        finding.hint = TIMEOUT_HINT
        return finding
    if finding.passed is not False:
        return finding
    item = rubric.item(finding.item)
    text = "\n".join([finding.message, finding.evidence, extra])
    code, hint = hints.hint_for(
        text, finding.code, item.readme if item else "", item.title if item else ""
    )
    if (
        code not in ("failed", "")
        and code != finding.code
        and hints.match(text, finding.code) is not None
    ):
        finding.code = code
    finding.hint = hint
    return finding


# ------------------------------------------------------------ reading


def _text(value: Any, limit: int) -> str:
    return cap(str(value), limit) if value not in (None, "") else ""


def _clean_outcome(raw: Any) -> dict[str, str] | None:
    if not isinstance(raw, dict):
        return None
    outcome = str(raw.get("outcome") or "")
    if outcome not in ("passed", "failed", "error", "skipped", "timeout"):
        return None
    cleaned = {
        "outcome": outcome,
        "message": _text(raw.get("message"), MAX_MESSAGE),
        "exception": _text(raw.get("exception"), 80),
        "evidence": _text(raw.get("evidence"), MAX_EVIDENCE),
        "code": _text(raw.get("code"), 40),
    }
    for key in ("seconds", "cpu_seconds"):
        value = raw.get(key)
        cleaned[key] = float(value) if isinstance(value, int | float) else 0.0
    return cleaned


def load_results(path: Path) -> dict[str, Any]:
    """Read the recorder's file into checked, capped plain data.

    Returns
    -------
    dict
        ``{"finished": bool, "running": str, "collected": [{"nodeid",
        "item", "check", "doc"}], "results": {nodeid: outcome},
        "collect_errors": int}``; empty parts where the file is missing,
        a link, too large or malformed.
    """
    data = read_untrusted_json(path, MAX_RESULTS_BYTES)
    collected = []
    for entry in data.get("collected") or []:
        if isinstance(entry, dict) and entry.get("nodeid") and entry.get("item"):
            collected.append(
                {
                    "nodeid": _text(entry["nodeid"], 300),
                    "item": _text(entry["item"], 80),
                    "check": _text(entry.get("check"), 80),
                    "doc": _text(entry.get("doc"), 200),
                }
            )
    results = {}
    raw_results = data.get("results")
    for nodeid, raw in (raw_results if isinstance(raw_results, dict) else {}).items():
        outcome = _clean_outcome(raw)
        if outcome is not None:
            results[_text(nodeid, 300)] = outcome
    errors = data.get("collect_errors")
    return {
        "finished": data.get("finished") is True,
        "running": _text(data.get("running"), 300),
        "collected": collected,
        "results": results,
        "collect_errors": len(errors) if isinstance(errors, list) else 0,
    }


def variant_of(nodeid: str) -> str:
    """``test_x.py::test_y[clustered-2]`` -> ``clustered-2`` (or ``""``)."""
    if nodeid.endswith("]") and "[" in nodeid:
        return nodeid[nodeid.rindex("[") + 1 : -1]
    return ""


def running_check(data: dict[str, Any]) -> str | None:
    """The check (and variant) of the test that was running, never its name.

    Hidden test names stay out of student messages; the rubric check id
    (``clustered_model.cluster_call``) says as much to the student.
    """
    running = data.get("running")
    if not running:
        return None
    for entry in data.get("collected") or []:
        if entry.get("nodeid") == running:
            variant = variant_of(str(running))
            check = f"{entry.get('item')}.{entry.get('check')}"
            return f"the check {check}" + (f" ({variant})" if variant else "")
    return "a hidden test"


def unfinished_reason(result, limits: dict[str, float], running: str | None):
    """Why tests did not finish: ``(message, code)``.

    ``limits`` holds ``timeout`` (wall seconds), ``cpu`` (CPU seconds) and
    ``memory_mb`` of the run.
    """
    where = f" while running {running}" if running else ""
    if result is None:
        return "did not finish: the test process could not start", "grader_error"
    if result.killed == "cpu":
        return (
            f"{TIMEOUT_MESSAGE} (the hidden suite used its "
            f"{limits.get('cpu', 0):.0f} s of CPU time{where})",
            "timeout",
        )
    if result.timed_out:
        return (
            f"{TIMEOUT_MESSAGE} (the hidden suite ran for its "
            f"{limits.get('timeout', 0):.0f} s{where})",
            "timeout",
        )
    if result.memory_exceeded:
        return (
            f"did not finish: the memory limit of {limits.get('memory_mb', 0):.0f} "
            f"MB was exceeded{where}",
            "memory",
        )
    code = result.returncode
    if code < 0:
        return (
            f"did not finish: the test process was killed by signal "
            f"{-code}{where} (a crash in native code or the memory limit)",
            "crashed",
        )
    return (
        f"did not finish: the test process exited with code {code}{where} "
        "(sys.exit or os._exit in the code?)",
        "exited",
    )


# ------------------------------------------------------------ findings


def _runs_by_check(rubric: Rubric, data: dict[str, Any], unfinished):
    """Group the outcomes per (item, check id), one run per variant."""
    tests: dict[tuple[str, str], list[tuple[str, dict]]] = {}
    docs: dict[tuple[str, str], str] = {}
    for entry in data["collected"]:
        key = (entry["item"], f"hidden.{entry['item']}.{entry['check']}")
        outcome = data["results"].get(entry["nodeid"])
        if outcome is None:
            outcome = {
                "outcome": "unfinished",
                "message": unfinished[0],
                "code": unfinished[1],
                "evidence": "",
            }
        tests.setdefault(key, []).append((variant_of(entry["nodeid"]), outcome))
        if entry["doc"]:
            docs[key] = entry["doc"]
    # Rubric checks without a collected test (collection failed, crash before).
    for item, check in rubric.checks_with_prefix(("hidden.",)):
        if (item, check) not in tests:
            message, code = unfinished
            if data["collect_errors"]:
                message, code = (
                    "the hidden tests could not be collected",
                    "grader_error",
                )
            outcome = {
                "outcome": "unfinished",
                "message": message,
                "code": code,
                "evidence": "",
            }
            tests[(item, check)] = [("", outcome)]
    return tests, docs


def _timed_out(outcome: dict) -> bool:
    return outcome.get("outcome") == "timeout" or outcome.get("code") == "timeout"


def _finding(item: str, check: str, what: str, runs: list[tuple[str, dict]]):
    variants = [v for v, _ in runs if v]
    timed = [(v, o) for v, o in runs if _timed_out(o)]
    failed = [
        (v, o) for v, o in runs if o.get("outcome") != "passed" and not _timed_out(o)
    ]
    if timed:
        names = ", ".join(v for v, _ in timed if v)
        return Finding(
            check=check,
            item=item,
            passed=None,
            code="timeout",
            message=f"Could not check {what}"
            + (f" ({names})" if names else "")
            + f": {TIMEOUT_MESSAGE}. {timed[0][1].get('message', '')}".rstrip(),
            data={
                "timed_out": [v for v, _ in timed],
                "variants": variants,
                "failed": [v for v, _ in failed],
            },
        )
    if not failed:
        suffix = f" ({', '.join(variants)})" if variants else ""
        return Finding(
            check=check,
            item=item,
            passed=True,
            message=f"Passed: {what}{suffix}.",
            data={"variants": variants, "failed": []},
        )
    by_message: dict[str, list[str]] = {}
    evidence = []
    for variant, outcome in failed:
        message = str(outcome.get("message") or "the test failed")
        by_message.setdefault(message, []).append(variant)
        if outcome.get("evidence"):
            evidence.append(str(outcome["evidence"]))
    lines = [
        f"{', '.join(v for v in vs if v)}: {m}" if any(vs) else m
        for m, vs in by_message.items()
    ]
    codes = [str(o.get("code")) for _, o in failed if o.get("code")]
    return Finding(
        check=check,
        item=item,
        passed=False,
        message=cap("; ".join(dict.fromkeys(lines)), 3000),
        evidence=cap("\n".join(dict.fromkeys(evidence)), 4000),
        code=codes[0] if codes else "failed",
        score=(len(runs) - len(failed)) / len(runs),
        data={
            "failed": [v for v, _ in failed],
            "variants": variants,
            "exceptions": sorted(
                {str(o.get("exception")) for _, o in failed if o.get("exception")}
            ),
        },
    )


def findings_of_tests(
    rubric: Rubric, data: dict[str, Any], unfinished: tuple[str, str]
) -> list[Finding]:
    """Aggregate per-test outcomes into one finding per (item, check)."""
    tests, docs = _runs_by_check(rubric, data, unfinished)
    findings = []
    for (item, check), runs in sorted(tests.items()):
        what = docs.get((item, check), check.rsplit(".", 1)[-1].replace("_", " "))
        finding = _finding(item, check, what, runs)
        extra = " ".join(str(o.get("exception", "")) for _, o in runs)
        findings.append(with_hint(finding, rubric, extra))
    return findings
