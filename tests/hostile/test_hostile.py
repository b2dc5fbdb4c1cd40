"""What must hold for every hostile submission (see ``hostile_cases.py``).

All tests read the one batch run of the session fixture ``corpus``
(``conftest.py``); none of them grades anything itself.
"""

from __future__ import annotations

import ast
import base64
import csv
import html
import json
import re
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hostile_cases import CASES, CODE_ITEMS, GRADED, NORMALS, SUBSET, VICTIM, Case
from hostile_harness import CPU_LIMIT, KILL_SLACK, TIMEOUT, Corpus, secret_of

from grading.pipeline import bounds
from grading.sandbox import CPU_GRACE

pytestmark = pytest.mark.slow

ALL_IDS = list(NORMALS) + [c.id for c in GRADED]
STUDENT_VIEW = ("report.html", "report.md", "gradescope/results.json")
INSTRUCTOR_VIEW = ("report-instructor.html", "results.json")
PROJECT = Path(__file__).resolve().parents[2]
LAB = "l03_pruning_clustering"


def _results(corpus: Corpus, sub_id: str) -> dict:
    data = corpus.results.get(sub_id)
    assert data is not None, (
        f"no results.json for {sub_id} in {corpus.out / sub_id} "
        f"(batch exit {corpus.returncode}); log: {corpus.root / 'batch.log'}\n"
        f"{corpus.stderr[-2000:]}"
    )
    return data


def _items(data: dict) -> dict[str, dict]:
    return {item["id"]: item for item in data.get("items", [])}


def _all_findings(data: dict) -> list[dict]:
    found = list(data.get("unassigned", []))
    for item in data.get("items", []):
        found += item.get("findings", [])
    return found


def _instructor_text(corpus: Corpus, sub_id: str) -> str:
    """Everything the instructor sees about a submission, as one string."""
    data = _results(corpus, sub_id)
    parts = [
        json.dumps(_all_findings(data)),
        json.dumps(data.get("checks", {})),
        str(data.get("status", "")),
    ]
    report = corpus.case_out(sub_id) / "report-instructor.html"
    if report.is_file():
        text = report.read_text(encoding="utf-8", errors="replace")
        parts.append(html.unescape(text))
    return "\n".join(parts)


def _view_texts(corpus: Corpus, sub_id: str, names) -> dict[str, str]:
    texts = {}
    for name in names:
        path = corpus.case_out(sub_id) / name
        if path.is_file():
            raw = path.read_text(encoding="utf-8", errors="replace")
            if name.endswith(".json"):
                try:
                    raw = json.dumps(json.loads(raw), ensure_ascii=False)
                    raw = raw.replace("\\n", "\n").replace('\\"', '"')
                except ValueError:
                    pass
            texts[name] = html.unescape(raw) if name.endswith(".html") else raw
    return texts


# ---------------------------------------------------------------------------
# Needles: what must never reach a student
# ---------------------------------------------------------------------------


def _course_lines() -> set[str]:
    """Lines of the student template: not secret even when in a hidden test."""
    lines: set[str] = set()
    for path in (PROJECT / "dl_in_iot_course").rglob("*.py"):
        lines.update(
            line.strip()
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
        )
    return lines


def _secret_lines(folder: Path, public: set[str], min_len: int = 30) -> list[str]:
    found: set[str] = set()
    for path in sorted(folder.rglob("*.py")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            text = line.strip()
            if (
                len(text) >= min_len
                and text not in public
                and not text.startswith(("#", "import ", "from ", '"""'))
            ):
                found.add(text)
    return sorted(found)


@pytest.fixture(scope="module")
def needles() -> dict[str, list[str]]:
    """Distinctive lines and names of the hidden tests and the reference."""
    public = _course_lines()
    hidden_dir = PROJECT / "grading" / "hidden" / "suites"
    hidden = _secret_lines(hidden_dir, public)
    names: set[str] = set()
    for path in hidden_dir.rglob("test_*.py"):
        names.update(
            re.findall(
                r"def (test_\w{6,})\(",
                path.read_text(encoding="utf-8", errors="replace"),
            )
        )
    # Reference lines that the hidden tests quote in their "expected ..."
    # messages (the calls the task asks for) are shown on purpose.
    quoted = []
    for path in hidden_dir.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        quoted += [
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        ]
    quoted_text = "\n".join(quoted)
    reference = [
        line
        for line in _secret_lines(PROJECT / "grading" / "private" / "reference", public)
        if line not in quoted_text
    ]
    return {"hidden": hidden, "test_names": sorted(names), "reference": reference}


# ---------------------------------------------------------------------------
# The batch as a whole
# ---------------------------------------------------------------------------


def test_corpus_has_at_least_15_cases():
    if SUBSET:
        pytest.skip(f"HOSTILE_CASES selects {len(CASES)} case(s)")
    assert len(CASES) >= 15
    assert len({c.id for c in CASES}) == len(CASES)


def _skip_unless_selected(case_id: str) -> None:
    """Skip a test of one named case when ``HOSTILE_CASES`` leaves it out."""
    if SUBSET and case_id not in SUBSET:
        pytest.skip(f"HOSTILE_CASES leaves out {case_id}")


def _not_graded(corpus: Corpus) -> int:
    """Rows of the corpus's gradebook without a grade (a batch's exit status)."""
    if corpus.verb != "batch":
        return 0
    with (corpus.out / "gradebook.csv").open(encoding="utf-8") as handle:
        return sum(row["status"] != "graded" for row in csv.DictReader(handle))


def test_batch_completes(corpus: Corpus):
    # The batch's exit status counts the submissions without a grade (a
    # hostile one may time out or fail); it never means the batch stopped.
    assert corpus.returncode == min(100, _not_graded(corpus)), (
        f"{corpus.verb} exited {corpus.returncode}:\n{corpus.stderr[-3000:]}"
    )
    missing = [i for i in ALL_IDS if corpus.results.get(i) is None]
    assert not missing, f"no results.json for {missing}"
    for sub_id in ALL_IDS:
        data = corpus.results[sub_id]
        assert data.get("status") in ("graded", "error", "timeout"), sub_id
        assert isinstance(data.get("score"), int | float), sub_id


def test_gradebook_has_every_submission(corpus: Corpus):
    if corpus.verb != "batch":
        pytest.skip("graded with 'grade' per submission; no gradebook")
    with (corpus.out / "gradebook.csv").open(encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert set(ALL_IDS) <= set(rows), sorted(set(ALL_IDS) - set(rows))
    for sub_id in ALL_IDS:
        assert rows[sub_id]["status"] == corpus.results[sub_id]["status"], sub_id


@pytest.mark.parametrize("sub_id", list(NORMALS))
def test_normal_submissions_score_as_when_graded_alone(corpus: Corpus, sub_id):
    alone = corpus.alone_results.get(sub_id)
    assert alone is not None, f"the normal submission {sub_id} was not graded alone"
    together = _results(corpus, sub_id)
    assert together["score"] == alone["score"]
    got = {i: (v["points"], v["status"]) for i, v in _items(together).items()}
    want = {i: (v["points"], v["status"]) for i, v in _items(alone).items()}
    assert got == want


def test_reference_earns_the_code_items(corpus: Corpus):
    """Without this the comparison above could hold for a broken grader."""
    items = _items(_results(corpus, "normal_reference"))
    for item_id in CODE_ITEMS:
        assert items[item_id]["points"] == items[item_id]["max_points"], (
            item_id,
            items[item_id]["findings"],
        )


def test_grader_and_outside_trees_unchanged(corpus: Corpus):
    for key in ("grader", "outside"):
        assert corpus.hashes_after[key] == corpus.hashes_before[key], (
            f"{key} tree changed during the batch"
        )


def test_submissions_unchanged(corpus: Corpus):
    changed = [
        k
        for k, v in corpus.hashes_before.items()
        if k.startswith("sub:") and corpus.hashes_after[k] != v
    ]
    assert not changed, f"the grader or a submission wrote into {changed}"


def test_no_leftover_processes(corpus: Corpus):
    assert not corpus.leftover_processes, (
        "processes started by hostile code survived the batch: "
        f"{corpus.leftover_processes[:5]}"
    )


def test_no_files_dropped_outside_the_sandbox(corpus: Corpus):
    assert not corpus.leftover_files, corpus.leftover_files


def test_other_results_not_tampered(corpus: Corpus):
    """The victim's results are valid JSON and its score is its own."""
    victim = corpus.case_out("normal_reference") / "results.json"
    data = json.loads(victim.read_text(encoding="utf-8"))
    assert data["score"] == corpus.alone_results["normal_reference"]["score"]
    for path in corpus.case_out("normal_reference").rglob("*"):
        if path.is_file():
            assert corpus.marker.encode() not in path.read_bytes(), path


# ---------------------------------------------------------------------------
# Per case
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", GRADED, ids=lambda c: c.id)
def test_faked_items_score_zero(corpus: Corpus, case: Case):
    items = _items(_results(corpus, case.id))
    earned = {i: items[i]["points"] for i in case.faked if items[i]["points"]}
    assert not earned, f"{case.attack}: earned {earned}"


@pytest.mark.parametrize("case", [c for c in GRADED if c.codes], ids=lambda c: c.id)
def test_findings_name_what_was_found(corpus: Corpus, case: Case):
    found = [
        f"{f['check']} {f.get('code', '')}"
        for f in _all_findings(_results(corpus, case.id))
    ]
    missing = [p for p in case.codes if not any(re.search(p, x) for x in found)]
    assert not missing, f"{case.attack}: no finding matches {missing}; found {found}"


@pytest.mark.parametrize("case", [c for c in GRADED if c.at_most], ids=lambda c: c.id)
def test_deducting_rules_are_not_dodged(corpus: Corpus, case: Case):
    items = _items(_results(corpus, case.id))
    over = {
        i: items[i]["points"] for i, most in case.at_most if items[i]["points"] > most
    }
    assert not over, f"{case.attack}: earned {over} (at most {dict(case.at_most)})"


@pytest.mark.parametrize("case", [c for c in CASES if c.not_graded], ids=lambda c: c.id)
def test_unusable_folder_names_are_listed_not_graded(corpus: Corpus, case: Case):
    if corpus.verb != "batch":
        pytest.skip("graded with 'grade' per submission; no gradebook")
    with (corpus.out / "gradebook.csv").open(encoding="utf-8") as handle:
        rows = {r["student"].removeprefix("'"): r for r in csv.DictReader(handle)}
    row = rows.get(case.folder_name)
    assert row is not None, f"no gradebook row for {case.folder_name!r}"
    assert row["status"] == "not_graded" and case.not_graded in row["reason"], row
    assert not (corpus.out / case.folder_name).exists()


@pytest.mark.parametrize(
    "case", [c for c in GRADED if c.failed_checks], ids=lambda c: c.id
)
def test_faked_checks_fail(corpus: Corpus, case: Case):
    findings = _all_findings(_results(corpus, case.id))
    for pattern in case.failed_checks:
        hits = [
            f
            for f in findings
            if re.search(pattern, f["check"] + " " + f.get("code", ""), re.I)
            and f["passed"] is False
        ]
        assert hits, f"{case.attack}: no failed finding matching {pattern!r}"


@pytest.mark.parametrize("case", [c for c in GRADED if c.seen], ids=lambda c: c.id)
def test_finding_says_what_was_seen(corpus: Corpus, case: Case):
    text = _instructor_text(corpus, case.id)
    assert re.search(case.seen, text, re.I), (
        f"{case.attack}: nothing in the instructor view matches {case.seen!r}"
    )


@pytest.mark.parametrize("sub_id", ALL_IDS)
def test_student_view_keeps_hidden_tests_and_reference_secret(
    corpus: Corpus, needles, sub_id
):
    texts = _view_texts(corpus, sub_id, STUDENT_VIEW)
    assert texts, f"no student-view report for {sub_id} in {corpus.case_out(sub_id)}"
    case = next((c for c in GRADED if c.id == sub_id), None)
    check_reference = sub_id == "normal_stub" or (case and case.no_reference_leak)
    leaks = []
    for name, text in texts.items():
        for line in needles["hidden"]:
            if line in text:
                leaks.append((name, "hidden test", line))
        for test_name in needles["test_names"]:
            if re.search(rf"\b{re.escape(test_name)}\b", text):
                leaks.append((name, "hidden test name", test_name))
        if check_reference:
            for line in needles["reference"]:
                if line in text:
                    leaks.append((name, "reference", line))
    assert not leaks, f"{sub_id}: {len(leaks)} leak(s), e.g. {leaks[:3]}"


class _Tags(HTMLParser):
    """Collect every tag with its attributes, and script/style contents."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list]] = []
        self.raw: list[tuple[str, str]] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._stack.append(tag)

    def handle_endtag(self, tag):
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()

    def handle_data(self, data):
        if self._stack and self._stack[-1] in ("script", "style"):
            self.raw.append((self._stack[-1], data))


@pytest.mark.parametrize("report", ["report.html", "report-instructor.html"])
def test_summary_markup_is_never_live(corpus: Corpus, report):
    _skip_unless_selected("hostile_summary")
    path = corpus.case_out("hostile_summary") / report
    if not path.is_file():
        pytest.fail(f"{path} was not written")
    parser = _Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    marker = corpus.marker
    live = [(kind, data[:80]) for kind, data in parser.raw if marker in data]
    for tag, attrs in parser.tags:
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") or value.strip().lower().startswith("javascript:"):
                live.append((tag, f"{name}={value[:60]}"))
            elif marker in value:
                live.append((tag, f"{name}={value[:60]}"))
        if tag in ("iframe", "embed", "object", "base", "meta") and any(
            marker in (v or "") for _, v in attrs
        ):
            live.append((tag, str(attrs)[:80]))
    assert not live, f"markup from the summary is live in {report}: {live[:5]}"


@pytest.mark.parametrize("sub_id", ["hostile_summary", "filesystem_tricks"])
def test_files_outside_the_repository_are_never_shown(corpus: Corpus, sub_id):
    _skip_unless_selected(sub_id)
    secret = (corpus.outside / "secret.png").read_bytes()
    needles = [
        f"SECRET-{corpus.marker}",
        base64.b64encode(secret).decode()[:60],
        "root:x:0:0",
    ]
    texts = _view_texts(corpus, sub_id, STUDENT_VIEW + ("report-instructor.html",))
    assert texts, f"no report for {sub_id}"
    for name, text in texts.items():
        for needle in needles:
            assert needle not in text, f"{name} of {sub_id} shows {needle[:30]!r}"


def _sandbox_runs(node) -> list[dict]:
    """Every dict in ``node`` that looks like a sandbox run description."""
    found = []
    if isinstance(node, dict):
        if "timed_out" in node and "seconds" in node:
            found.append(node)
        for value in node.values():
            found += _sandbox_runs(value)
    elif isinstance(node, list):
        for value in node:
            found += _sandbox_runs(value)
    return found


@pytest.mark.parametrize("case", [c for c in GRADED if c.slow], ids=lambda c: c.id)
def test_timeouts_end_the_tree_within_the_limit(corpus: Corpus, case: Case):
    data = _results(corpus, case.id)
    runs = _sandbox_runs(data.get("checks", {}))
    timed_out = [r for r in runs if r.get("timed_out")]
    assert timed_out, f"{case.id}: no sandbox run recorded a timeout: {runs}"
    # The batch grades a timed-out submission again with its limits doubled;
    # submission.json says with which factor these results were made.
    record = corpus.case_out(case.id) / "submission.json"
    scale = json.loads(record.read_text())["time_scale"] if record.is_file() else 1
    for run in timed_out:
        if run.get("killed") == "cpu":
            # Sampled twice a second; SIGKILL comes CPU_GRACE s after SIGXCPU.
            assert run["cpu_seconds"] <= CPU_LIMIT + CPU_GRACE + KILL_SLACK, run
        else:
            assert run["seconds"] <= TIMEOUT * scale + KILL_SLACK, run
    assert not corpus.leftover_processes
    # Nothing a time limit stopped is scored as failed.
    for item in _items(_results(corpus, case.id)).values():
        stopped = [f for f in item["findings"] if f.get("code") == "timeout"]
        if stopped:
            assert item["status"] in ("timeout", "manual"), item["id"]


# ---------------------------------------------------------------------------
# The isolation issue: nothing leaks, nothing is huge, the honest part counts
# ---------------------------------------------------------------------------

_B64 = re.compile(rb"[A-Za-z0-9+/=]{24,}")
_HEX = re.compile(rb"(?:[0-9a-fA-F]{2}){16,}")


def _decoded(data: bytes) -> list[bytes]:
    """``data`` and every base64 or hex run in it, decoded (and inflated)."""
    forms = [data]
    for match in _B64.finditer(data):
        run = match.group(0)
        try:
            forms.append(base64.b64decode(run + b"=" * (-len(run) % 4)))
        except ValueError:
            continue
    for match in _HEX.finditer(data):
        forms.append(bytes.fromhex(match.group(0).decode()))
    for form in list(forms[1:]):
        try:
            forms.append(zlib.decompressobj().decompress(form, 10 << 20))
        except zlib.error:
            pass
    return forms


def _output_files(corpus: Corpus, sub_id: str) -> dict[str, bytes]:
    folder = corpus.case_out(sub_id)
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


@pytest.mark.parametrize("sub_id", ALL_IDS)
def test_the_graders_secret_reaches_no_output(corpus: Corpus, sub_id):
    secret = secret_of(corpus.root).encode()
    for name, data in _output_files(corpus, sub_id).items():
        for form in _decoded(data):
            assert secret not in form, f"{sub_id}/{name} carries the grader's secret"


def test_classmates_folders_reach_no_output(corpus: Corpus):
    needle = f"/.work/{VICTIM}".encode()
    for name, data in _output_files(corpus, "host_proc_secrets").items():
        for form in _decoded(data):
            assert needle not in form, f"{name} names a classmate's folder"


@pytest.mark.parametrize("sub_id", ALL_IDS)
def test_encoded_hidden_tests_and_reference_stay_out(corpus: Corpus, needles, sub_id):
    case = next((c for c in GRADED if c.id == sub_id), None)
    check_reference = sub_id == "normal_stub" or (case and case.no_reference_leak)
    lines = needles["hidden"] + (needles["reference"] if check_reference else [])
    for name in STUDENT_VIEW:
        path = corpus.case_out(sub_id) / name
        if not path.is_file():
            continue
        raw = re.sub(rb"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+", b"", path.read_bytes())
        for form in _decoded(raw)[1:]:
            text = form.decode("utf-8", "replace")
            found = [line for line in lines if line in text]
            assert not found, f"{sub_id}/{name} carries encoded {found[:2]}"


@pytest.mark.parametrize("sub_id", ALL_IDS)
def test_every_output_file_is_bounded(corpus: Corpus, sub_id):
    limits = {
        "results.json": bounds.MAX_RESULTS_BYTES,
        "gradescope/results.json": bounds.MAX_RESULTS_BYTES,
    }
    for name, data in _output_files(corpus, sub_id).items():
        assert len(data) <= limits.get(name, bounds.MAX_REPORT_BYTES), (name, len(data))
    if sub_id == "huge_outputs":
        results = corpus.case_out(sub_id) / "results.json"
        assert results.stat().st_size < 1024 * 1024


@pytest.mark.parametrize("case", [c for c in GRADED if c.earns], ids=lambda c: c.id)
def test_the_honest_part_still_earns_its_points(corpus: Corpus, case: Case):
    items = _items(_results(corpus, case.id))
    short = {
        i: (items[i]["points"], items[i]["max_points"])
        for i in case.earns
        if items[i]["points"] != items[i]["max_points"]
    }
    assert not short, f"{case.attack}: {short}"


@pytest.mark.parametrize("case", [c for c in GRADED if c.absent], ids=lambda c: c.id)
def test_what_the_attack_planted_never_ran(corpus: Corpus, case: Case):
    for name, data in _output_files(corpus, case.id).items():
        text = data.decode("utf-8", "replace")
        assert not re.search(case.absent, text), f"{case.id}/{name}: {case.absent}"
