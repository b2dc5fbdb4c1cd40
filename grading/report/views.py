"""View models: everything a report template shows, computed in Python.

Templates only loop and print. This module decides what each audience may
see, in which order, with which label, and how numbers are formatted:

* the **student** view drops instructor-audience findings (plausibility
  warnings, protected-file edits, raw logs), never shows a finding's ``data``
  (it may hold hidden test ids or reference values) except embedded images,
  never shows check ids or the rubric's check weights, and scrubs pytest node
  ids and grader-internal traceback lines from the text it does show;
* the **instructor** view shows everything, with check ids, reason codes,
  suggested points of manual items, raw check details and the environment.

All text coming from ``results.json`` is treated as untrusted: it is coerced
to ``str`` here and escaped by the template engine.
"""

from __future__ import annotations

import base64
import json
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

Audience = str  # "student" or "instructor"

#: Longest evidence shown in HTML per finding, in characters.
EVIDENCE_LIMIT_HTML = 20_000
#: Longest message or hint shown per finding, in characters.
MESSAGE_LIMIT = 4_000
#: Longest raw check details shown in the instructor view, in characters.
DETAILS_LIMIT = 30_000
#: Images embedded per report, and bytes per image.
MAX_IMAGES = 24
MAX_IMAGE_BYTES = 3 * 1024 * 1024

STATUS_LABELS = {
    "pass": ("ok", "\u2713", "Passed"),
    "partial": ("partial", "\u25d0", "Partly done"),
    "fail": ("fail", "\u2717", "Not yet"),
    "manual": ("manual", "\u25cb", "Awaiting review"),
    "error": ("error", "!", "Could not check"),
    "timeout": ("error", "\u29d7", "Could not check in time"),
}
FINDING_LABELS = {
    "ok": ("\u2713", "Passed"),
    "partial": ("\u25d0", "Partly"),
    "fail": ("\u2717", "Failed"),
    "info": ("i", "Note"),
    "review": ("\u25cb", "For review"),
    "warning": ("!", "Warning"),
}
EVIDENCE_LABELS = {
    "hidden": "Test output",
    "tests": "Test output",
    "summary": "From your summary",
    "history": "From your git history",
    "sandbox": "Grader log",
}
IMAGE_KEYS = (
    "image",
    "images",
    "confusion_matrix",
    "confusion_matrices",
    "figure",
    "figures",
    "plot",
    "plots",
)
_IMAGE_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}

# Characters that end a pytest node id (``path/test_x.py::test_name[param]``).
_NODEID_STOP = frozenset(" \t'\"()<>")
# Lines that point into the grader's own private folders.
_INTERNAL = re.compile(
    r"hidden_tests|grading[\\/](?:reference|hidden)|[\\/]reference[\\/]|def test_\w+"
)
HIDDEN_LINE = "[grader-internal line hidden]"
HIDDEN_TEST = "[hidden test]"


# --------------------------------------------------------------------------- text


def text(value: Any) -> str:
    """Return ``value`` as a string (``""`` for ``None``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def number(value: Any, default: float = 0.0) -> float:
    """Return ``value`` as a finite float, or ``default``."""
    try:
        result = float(value)
    except (TypeError, ValueError):
        return default
    return result if math.isfinite(result) else default


def fmt_points(value: Any) -> str:
    """Format points without trailing zeros: ``2``, ``1.5``, ``0.25``."""
    rounded = round(number(value), 2)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.2f}".rstrip("0").rstrip(".")


def fmt_seconds(value: Any) -> str:
    """Format a duration for people: ``0.4 s``, ``12 s``, ``2 min 05 s``."""
    seconds = max(0.0, number(value))
    if seconds < 0.05:
        return "< 0.1 s"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def shorten(value: str, limit: int) -> tuple[str, int]:
    """Cut ``value`` to ``limit`` characters at a line end when possible.

    Returns
    -------
    tuple
        The shortened text and the number of characters left out (0 if none).
    """
    if limit <= 0:
        return "", len(value)
    if len(value) <= limit:
        return value, 0
    cut = value.rfind("\n", 0, limit)
    if cut < limit // 2:
        cut = limit
    return value[:cut].rstrip(), len(value) - cut


def _hide_nodeids(line: str) -> str:
    """Replace every ``something.py::name`` token of ``line`` by ``[hidden test]``.

    Linear in the line length (a regular expression would backtrack on long
    lines without spaces).
    """
    start = line.find(".py::")
    if start < 0:
        return line
    pieces = []
    done = 0
    while start >= 0:
        left = start
        while left > done and line[left - 1] not in _NODEID_STOP:
            left -= 1
        right = start + 5
        while right < len(line) and line[right] not in _NODEID_STOP:
            right += 1
        pieces.append(line[done:left])
        pieces.append(HIDDEN_TEST)
        done = right
        start = line.find(".py::", done)
    pieces.append(line[done:])
    return "".join(pieces)


def scrub_student_text(value: str) -> str:
    """Remove what points into the grader's private parts from student text.

    Pytest node ids become ``[hidden test]``. A line that names the hidden
    tests or the reference solution (a traceback frame, ``def test_...``)
    becomes ``[grader-internal line hidden]``, together with the more indented
    source lines that follow it (the code of that frame).

    Parameters
    ----------
    value : str
        Message, hint or evidence of a student-audience finding.

    Returns
    -------
    str
        The text with those parts replaced.
    """
    if not value:
        return value
    lines = value.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _INTERNAL.search(line):
            indent = len(line) - len(line.lstrip())
            if not out or out[-1].strip() != HIDDEN_LINE:
                out.append(" " * indent + HIDDEN_LINE)
            i += 1
            while (
                i < len(lines)
                and lines[i].strip()
                and (len(lines[i]) - len(lines[i].lstrip()) > indent)
            ):
                i += 1
            continue
        out.append(_hide_nodeids(line))
        i += 1
    return "\n".join(out)


# ---------------------------------------------------------------------- findings


def normalize_finding(raw: Any) -> dict[str, Any]:
    """Return a finding dict with every field present and of the right type."""
    if not isinstance(raw, dict):
        raw = {"message": text(raw)}
    passed = raw.get("passed")
    score = raw.get("score")
    data = raw.get("data")
    return {
        "check": text(raw.get("check")),
        "item": text(raw.get("item")),
        "passed": passed if passed in (True, False) else None,
        "message": text(raw.get("message")),
        "hint": text(raw.get("hint")),
        "evidence": text(raw.get("evidence")),
        "score": None if score is None else max(0.0, min(1.0, number(score))),
        "code": text(raw.get("code")),
        "audience": "instructor" if raw.get("audience") == "instructor" else "student",
        "data": data if isinstance(data, dict) else {},
    }


def finding_state(finding: dict[str, Any], item_status: str = "") -> str:
    """Return ``ok``, ``partial``, ``fail``, ``review``, ``warning`` or ``info``."""
    if finding["audience"] == "instructor" and finding["passed"] is not True:
        return "warning"
    earned = finding["score"]
    if earned is None and finding["passed"] is not None:
        earned = 1.0 if finding["passed"] else 0.0
    if earned is None:
        return "review" if item_status == "manual" else "info"
    if earned >= 1:
        return "ok"
    return "partial" if earned > 0 else "fail"


def _image_candidates(
    data: Any, caption: str = "", depth: int = 0
) -> list[tuple[str, str]]:
    """Collect ``(reference, caption)`` pairs of images named in finding data."""
    found: list[tuple[str, str]] = []
    if depth > 3:
        return found
    if isinstance(data, str):
        found.append((data, caption))
    elif isinstance(data, list):
        for entry in data:
            found.extend(_image_candidates(entry, caption, depth + 1))
    elif isinstance(data, dict):
        for key in ("path", "ref", "src", "file"):
            if isinstance(data.get(key), str):
                return [(data[key], text(data.get("caption")) or caption)]
        for key, entry in data.items():
            found.extend(_image_candidates(entry, text(key), depth + 1))
    return found


def _sniff(blob: bytes) -> str:
    for magic, mime in _IMAGE_MAGIC.items():
        if blob.startswith(magic):
            return mime
    if blob[:4] == b"RIFF" and blob[8:12] == b"WEBP":
        return "image/webp"
    return ""


def embed_images(
    data: dict[str, Any], roots: list[Path]
) -> tuple[list[dict], list[str]]:
    """Turn image references in finding ``data`` into ``data:`` URIs.

    Only files inside one of ``roots`` (the submission and the report folder,
    after resolving symlinks) with a PNG, JPEG, GIF or WebP signature and at
    most :data:`MAX_IMAGE_BYTES` are embedded: a summary that links
    ``../../etc/passwd`` gets a note, not the file.

    Parameters
    ----------
    data : dict
        A finding's ``data``; keys in :data:`IMAGE_KEYS` are read.
    roots : list of Path
        Folders images may come from. Relative references are tried against
        each, and against ``data["base"]`` or the parent of
        ``data["summary_file"]`` when given.

    Returns
    -------
    tuple
        ``([{"src", "caption"}], [notes about images left out])``.
    """
    images: list[dict] = []
    notes: list[str] = []
    refs: list[tuple[str, str]] = []
    for key in IMAGE_KEYS:
        if key in data:
            refs.extend(_image_candidates(data[key]))
    if not refs:
        return images, notes
    resolved_roots = []
    for root in roots:
        try:
            resolved_roots.append(Path(root).resolve())
        except (OSError, RuntimeError):
            continue
    bases = list(resolved_roots)
    for key in ("base", "summary_file", "file"):
        value = data.get(key)
        if isinstance(value, str) and value:
            for root in resolved_roots:
                candidate = root / value
                bases.insert(0, candidate if key == "base" else candidate.parent)
    for ref, caption in refs:
        caption = caption or Path(ref).name
        if ref.startswith("data:image/") and ";base64," in ref:
            mime = ref[5 : ref.index(";")]
            if mime in ("image/png", "image/jpeg", "image/gif", "image/webp") and (
                len(ref) <= MAX_IMAGE_BYTES * 4 // 3 + 64
            ):
                images.append({"src": ref, "caption": caption})
            else:
                notes.append(f"{caption}: embedded image of type {mime} left out")
            continue
        if "://" in ref or not ref.strip():
            notes.append(f"{caption}: {ref!r} is not a local image file")
            continue
        path = _locate(ref, bases, resolved_roots)
        if path is None:
            notes.append(f"{caption}: {ref!r} not found inside the submission")
            continue
        try:
            size = path.stat().st_size
            if size > MAX_IMAGE_BYTES:
                notes.append(
                    f"{caption}: {ref!r} is {size} bytes, over the embed limit"
                )
                continue
            blob = path.read_bytes()
        except OSError as exc:
            notes.append(f"{caption}: {ref!r} cannot be read ({exc.strerror})")
            continue
        mime = _sniff(blob)
        if not mime:
            notes.append(f"{caption}: {ref!r} is not a PNG, JPEG, GIF or WebP image")
            continue
        if len(images) >= MAX_IMAGES:
            notes.append(f"{caption}: more than {MAX_IMAGES} images, left out")
            continue
        encoded = base64.b64encode(blob).decode("ascii")
        images.append({"src": f"data:{mime};base64,{encoded}", "caption": caption})
    return images, notes


def _locate(ref: str, bases: list[Path], roots: list[Path]) -> Path | None:
    """Return the resolved file for ``ref`` if it lies inside one of ``roots``."""
    candidates = [Path(ref)] if Path(ref).is_absolute() else [b / ref for b in bases]
    for candidate in candidates:
        try:
            path = candidate.resolve()
        except (OSError, RuntimeError):
            continue
        if not any(path.is_relative_to(root) for root in roots):
            continue
        if path.is_file():
            return path
    return None


def finding_view(
    finding: dict[str, Any],
    audience: Audience,
    item_status: str,
    roots: list[Path],
) -> dict[str, Any]:
    """Return what a template prints for one finding."""
    state = finding_state(finding, item_status)
    icon, label = FINDING_LABELS[state]
    student = audience == "student"
    clean = scrub_student_text if student else (lambda s: s)
    evidence, cut = shorten(finding["evidence"], EVIDENCE_LIMIT_HTML)
    evidence = clean(evidence)
    area = finding["check"].split(".", 1)[0]
    images, image_notes = embed_images(finding["data"], roots)
    view = {
        "state": state,
        "icon": icon,
        "label": label,
        "message": clean(shorten(finding["message"], MESSAGE_LIMIT)[0])
        or "(no message)",
        "hint": clean(shorten(finding["hint"], MESSAGE_LIMIT)[0]),
        "evidence": evidence,
        "evidence_note": f"{cut} more characters left out" if cut else "",
        "evidence_label": EVIDENCE_LABELS.get(area, "Evidence")
        if student
        else EVIDENCE_LABELS.get(area, "Evidence").replace(" your ", " the "),
        "images": images,
        "image_notes": [] if student else image_notes,
        "instructor_only": finding["audience"] == "instructor",
        "check": "" if student else finding["check"],
        "code": "" if student else finding["code"],
        "data_json": "",
        "repeat_note": "",
        "not_run": finding["code"] == "not_run",
    }
    if not student and finding["data"]:
        dumped = json.dumps(finding["data"], indent=2, ensure_ascii=False, default=str)
        view["data_json"] = shorten(dumped, DETAILS_LIMIT)[0]
    return view


# ------------------------------------------------------------------------- items


def normalize_item(raw: Any, index: int) -> dict[str, Any]:
    """Return an item dict with every field present and of the right type."""
    if not isinstance(raw, dict):
        raw = {}
    status = text(raw.get("status"))
    if status not in STATUS_LABELS:
        status = "error"
    override = raw.get("override") if isinstance(raw.get("override"), dict) else None
    findings = raw.get("findings") if isinstance(raw.get("findings"), list) else []
    suggested = raw.get("suggested_points")
    return {
        "id": text(raw.get("id")) or f"item-{index + 1}",
        "title": text(raw.get("title")) or text(raw.get("id")) or f"Item {index + 1}",
        "points": number(raw.get("points")),
        "max_points": number(raw.get("max_points")),
        "kind": text(raw.get("kind")) or "auto",
        "status": status,
        "source": text(raw.get("source")) or "check",
        "suggested_points": None if suggested is None else number(suggested),
        "override": override,
        "readme": text(raw.get("readme")),
        "findings": [normalize_finding(f) for f in findings],
    }


def _source_text(item: dict[str, Any]) -> tuple[str, str]:
    """Return ``(kind, words)`` saying who decided the item's points."""
    if item["source"] == "override" and item["override"]:
        reviewer = text(item["override"].get("reviewer")) or "a reviewer"
        return "person", f"Decided by {reviewer}"
    if item["status"] == "manual" and item["max_points"] == 0:
        return "waiting", "Not part of the score"
    if item["status"] == "manual":
        return "waiting", "Waiting for a person"
    return "check", "Scored by automatic checks"


def _points_text(item: dict[str, Any]) -> str:
    """Return ``"1.5 / 4"``, ``"– / 1"`` (awaiting review) or ``"–"`` (no points)."""
    maximum = fmt_points(item["max_points"])
    if item["status"] == "manual":
        return "\u2013" if item["max_points"] == 0 else f"\u2013 / {maximum}"
    return f"{fmt_points(item['points'])} / {maximum}"


def _readme_text(readme: str) -> str:
    """Return ``l03_x/README.md, section "task 2 name"`` for a README path."""
    if not readme:
        return ""
    path, _, anchor = readme.partition("#")
    parts = Path(path).parts
    where = "/".join(parts[-2:]) if len(parts) >= 2 else path
    return (
        f"{where}, section \u201c{anchor.replace('-', ' ')}\u201d" if anchor else where
    )


def merge_repeats(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sort finding views (problems first) and show identical ones once.

    Several checks often fail for one cause (a module that does not import
    fails every test of the item with the same message and hint); repeating
    it helps nobody. Findings whose check did not run at all come after the
    ones that say why.
    """
    ordered = sorted(findings, key=lambda f: (_STATE_ORDER[f["state"]], f["not_run"]))
    merged: list[dict[str, Any]] = []
    seen: dict[tuple, dict[str, Any]] = {}
    for view in ordered:
        key = (
            view["state"],
            view["message"],
            view["hint"],
            view["evidence"],
            view["instructor_only"],
        )
        first = seen.get(key)
        if first is None or view["images"] or view["data_json"]:
            seen[key] = view
            view["repeats"] = 1
            merged.append(view)
            continue
        first["repeats"] += 1
        first["repeat_note"] = f"{first['repeats']} checks report the same."
        if view["check"]:
            first["check"] += ", " + view["check"]
    return merged


_STATE_ORDER = {"warning": 0, "fail": 1, "partial": 2, "review": 3, "info": 4, "ok": 5}


def item_view(
    item: dict[str, Any],
    audience: Audience,
    roots: list[Path],
    links_base: str = "",
) -> dict[str, Any]:
    """Return what a template prints for one rubric item."""
    status_class, icon, label = STATUS_LABELS[item["status"]]
    student = audience == "student"
    shown = [
        f for f in item["findings"] if not (student and f["audience"] == "instructor")
    ]
    findings = [finding_view(f, audience, item["status"], roots) for f in shown]
    findings = merge_repeats(findings)
    source_kind, source_words = _source_text(item)
    override = item["override"] or {}
    manual_open = item["status"] == "manual"
    if manual_open and item["max_points"] == 0:
        label = "Not scored"
    suggested = ""
    if (
        not student
        and item["suggested_points"] is not None
        and (manual_open or item["source"] == "override")
    ):
        suggested = (
            f"{fmt_points(item['suggested_points'])} / {fmt_points(item['max_points'])}"
        )
    readme_url = ""
    if item["readme"] and links_base.startswith(("https://", "http://")):
        readme_url = links_base.rstrip("/") + "/" + item["readme"].lstrip("/")
    return {
        "id": item["id"],
        "anchor": "item-" + re.sub(r"[^A-Za-z0-9_-]", "-", item["id"]),
        "title": item["title"],
        "status": item["status"],
        "status_class": status_class,
        "icon": icon,
        "label": label,
        "points_text": _points_text(item),
        "source_kind": source_kind,
        "source_text": source_words,
        "comment": text(override.get("comment"))
        if item["source"] == "override"
        else "",
        "reviewer": text(override.get("reviewer")) or "a reviewer",
        "suggested": suggested,
        "readme": _readme_text(item["readme"]),
        "readme_url": readme_url,
        "findings": findings,
        "problem_findings": [f for f in findings if f["state"] not in ("ok",)],
        "passed_findings": [f for f in findings if f["state"] == "ok"],
        "warning_count": sum(1 for f in findings if f["state"] == "warning"),
    }


# ------------------------------------------------------------------- submission


def normalize_results(results: Any) -> dict[str, Any]:
    """Return ``results`` with the fields the reports read present and typed."""
    if not isinstance(results, dict):
        results = {}
    items_raw = results.get("items") if isinstance(results.get("items"), list) else []
    unassigned = results.get("unassigned")
    timings = results.get("timings") if isinstance(results.get("timings"), dict) else {}
    checks = results.get("checks") if isinstance(results.get("checks"), dict) else {}
    env = results.get("environment")
    status = text(results.get("status")) or "graded"
    items = [normalize_item(raw, i) for i, raw in enumerate(items_raw)]
    max_score = results.get("max_score")
    return {
        "lab": text(results.get("lab")),
        "title": text(results.get("title")),
        "student": text(results.get("student")),
        "submission": text(results.get("submission")),
        "status": status if status in ("graded", "error", "timeout") else "error",
        "message": text(results.get("message") or results.get("error")),
        "graded_at": text(results.get("graded_at")),
        "grader_version": text(results.get("grader_version")),
        "score": round(sum(i["points"] for i in items), 2)
        if items
        else number(results.get("score")),
        "max_score": number(max_score)
        if max_score is not None
        else sum(i["max_points"] for i in items),
        "items": items,
        "unassigned": [normalize_finding(f) for f in unassigned]
        if isinstance(unassigned, list)
        else [],
        "checks": checks,
        "timings": {text(k): number(v) for k, v in timings.items()},
        "environment": env if isinstance(env, dict) else {},
    }


@lru_cache(maxsize=32)
def lab_title(lab: str) -> str:
    """Return the rubric's title of ``lab``, or a readable form of its id."""
    if lab:
        try:
            from grading.pipeline.rubric import load_rubric

            return text(load_rubric(lab).title) or lab
        except Exception:  # noqa: BLE001 - a missing rubric must not stop a report
            pass
    return lab.replace("_", " ") or "Lab"


def _timings_view(res: dict[str, Any]) -> dict[str, Any]:
    timings = dict(res["timings"])
    if not timings:
        for name, check in res["checks"].items():
            if isinstance(check, dict) and "seconds" in check:
                timings[text(name)] = number(check["seconds"])
    rows = []
    longest = max((v for k, v in timings.items() if k != "total"), default=0.0) or 1.0
    for part, seconds in timings.items():
        if part == "total":
            continue
        name = part.replace("_", " ")
        if name.startswith("check:"):
            name = name[len("check:") :].strip() + " check"
        rows.append(
            {
                "part": name,
                "text": fmt_seconds(seconds),
                "width": max(1, round(100 * seconds / longest)),
            }
        )
    total = timings.get("total")
    if total is None and timings:
        total = sum(timings.values())
    return {"rows": rows, "total": fmt_seconds(total) if timings else ""}


_BANNERS = {
    "error": (
        "Grading stopped early",
        "Some checks could not run, so the items they feed earn nothing for now. "
        "The findings below say what went wrong; fix it and push again.",
    ),
    "timeout": (
        "Grading ran out of time",
        "The checks took longer than the grader allows. Items whose checks did "
        "not finish earn nothing for now; look for an endless loop or a training "
        "run on the full data set where the task asks for a small one.",
    ),
}


def submission_view(
    results: dict[str, Any],
    audience: Audience,
    roots: list[Path] | None = None,
    links_base: str = "",
) -> dict[str, Any]:
    """Build the view model of one submission's report.

    Parameters
    ----------
    results : dict
        The content of ``results.json`` (any missing field is tolerated).
    audience : {"student", "instructor"}
        Who the report is for; see the module docstring for the difference.
    roots : list of Path, optional
        Folders images may be embedded from (submission, report folder).
    links_base : str, optional
        ``https://`` URL that README paths of items are joined to.

    Returns
    -------
    dict
        The view model the templates render.
    """
    res = normalize_results(results)
    student = audience == "student"
    roots = list(roots or [])
    items = [item_view(i, audience, roots, links_base) for i in res["items"]]
    counts = {key: 0 for key in STATUS_LABELS}
    for item, raw in zip(items, res["items"], strict=True):
        if item["status"] != "manual" or raw["max_points"] > 0:
            counts[item["status"]] += 1
    pending = sum(i["max_points"] for i in res["items"] if i["status"] == "manual")
    max_score = res["max_score"]
    percent = round(100 * res["score"] / max_score) if max_score > 0 else 0
    clean = scrub_student_text if student else (lambda s: s)

    def count_chip(key: str, words: str) -> dict[str, Any]:
        status_class, icon, _ = STATUS_LABELS[key]
        return {
            "status_class": status_class,
            "icon": icon,
            "count": counts[key],
            "words": words,
        }

    chips = [
        chip
        for chip in (
            count_chip("pass", "passed"),
            count_chip("partial", "partly done"),
            count_chip("fail", "to fix"),
            count_chip("error", "could not be checked"),
            count_chip("manual", "awaiting review"),
        )
        if chip["count"]
    ]
    sections = []
    groups = (
        (
            "fix",
            "What to fix first",
            "These items lost points. Each finding says what was expected, what the "
            "grader saw, and what to do.",
            ("fail", "partial", "error"),
        ),
        (
            "review",
            "Waiting for a person",
            "A teacher decides these points. Below is what the grader found in your "
            "submission for each, so you can check it picked up the right passage.",
            ("manual",),
        ),
        ("done", "Passed", "Full points.", ("pass",)),
    )
    for key, title, lead, statuses in groups:
        members = [i for i in items if i["status"] in statuses]
        if members:
            sections.append(
                {
                    "key": key,
                    "title": title,
                    "lead": lead,
                    "members": members,
                    "finding_template": "_passage.html.j2"
                    if key == "review"
                    else "_finding.html.j2",
                }
            )

    other = [
        finding_view(f, audience, "", roots)
        for f in res["unassigned"]
        if f["audience"] == "student"
    ]
    warnings = []
    if not student:
        for item in res["items"]:
            for f in item["findings"]:
                if f["audience"] == "instructor":
                    warnings.append(
                        {
                            "where": item["title"],
                            "finding": finding_view(f, audience, "", roots),
                        }
                    )
        for f in res["unassigned"]:
            if f["audience"] == "instructor":
                warnings.append(
                    {
                        "where": "Submission",
                        "finding": finding_view(f, audience, "", roots),
                    }
                )
    raw_logs = []
    if not student:
        for name, check in res["checks"].items():
            check = check if isinstance(check, dict) else {"details": check}
            dumped = json.dumps(
                check.get("details", {}), indent=2, ensure_ascii=False, default=str
            )
            body, cut = shorten(dumped, DETAILS_LIMIT)
            raw_logs.append(
                {
                    "name": text(name),
                    "seconds": fmt_seconds(check.get("seconds", 0)),
                    "body": body,
                    "note": f"{cut} more characters left out" if cut else "",
                }
            )
    banner = None
    detail = res["message"]
    if not detail:
        for f in res["unassigned"] + [f for i in res["items"] for f in i["findings"]]:
            if f["code"] in ("grader_error", "timeout") and (
                not student or f["audience"] == "student"
            ):
                detail = f["message"]
                break
    if res["status"] in _BANNERS:
        title, words = _BANNERS[res["status"]]
        banner = {
            "kind": res["status"],
            "title": title,
            "text": words,
            "detail": clean(detail),
        }
    who = res["student"] or Path(res["submission"]).name or "submission"
    return {
        "audience": audience,
        "is_instructor": not student,
        "view_name": "Instructor view" if not student else "Student view",
        "lab": res["lab"],
        "lab_title": res["title"] or lab_title(res["lab"]),
        "student": who,
        "graded_at": res["graded_at"].replace("T", " ")[:19],
        "grader_version": res["grader_version"],
        "status": res["status"],
        "banner": banner,
        "score_text": fmt_points(res["score"]),
        "max_text": fmt_points(max_score),
        "score": res["score"],
        "max_score": max_score,
        "percent": percent,
        "bar_width": max(0, min(100, percent)),
        "pending_text": (
            f"Up to {fmt_points(pending)} more points after review."
            if pending > 0
            else ""
        ),
        "chips": chips,
        "items": items,
        "sections": sections,
        "other": other,
        "warnings": warnings,
        "raw_logs": raw_logs,
        "environment": [
            {"key": text(k), "value": text(v)} for k, v in res["environment"].items()
        ]
        if not student
        else [],
        "submission": res["submission"] if not student else "",
        "timings": _timings_view(res),
        "has_person_points": any(i["source_kind"] == "person" for i in items),
    }
