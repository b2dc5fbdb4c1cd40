"""Check ``structured_summary``: the structured-pruning part of the summary.

Reads the lab summary (located as the ``summary`` check does) with the word
lists of the rubric's ``[summary.structured]`` table
(:mod:`grading.summary.structured`) and judges the model files committed
with Git LFS (:mod:`grading.summary.lfs`). Findings, ids
``structured_summary.<name>``: ``before``, ``pruned``, ``fine_tuned`` (the
share of shape, accuracy and time found for that stage), ``logs``,
``lfs_pytorch``, ``lfs_onnx``, ``lfs_tflite``, ``netron_image`` and
``netron`` (a suggestion for the manual Netron item). A summary that is not
text (PDF, image) sends the text items to a person; a notebook is read from
its cells' Markdown and printed outputs.
"""

from __future__ import annotations

import json
import re
import time

from grading.checks import CheckContext, CheckResult
from grading.pipeline.findings import Finding
from grading.summary import lfs, structured
from grading.summary import locate as _locate

NAME = "structured_summary"
FINDING_PREFIXES = ("structured_summary",)
TEXT_FORMATS = ("markdown", "text", "html", "notebook")
IMAGE_REF = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)|<img[^>]*src=[\"']([^\"']+)", re.I)
IMAGE_EXT = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
HINT = (
    "Add it to the summary in summaries/{lab}/ as the README's part 2 summary "
    "asks (see the section 'Part 2 summary')."
)


def _finding(ctx, name, score, message, code="", evidence="") -> Finding:
    """A finding of ``structured_summary.<name>``; ``score`` None: a person decides."""
    check = f"{NAME}.{name}"
    return Finding(
        check=check,
        item=ctx.rubric.item_fed_by(check),
        passed=None if score is None else score >= 1.0,
        score=score,
        message=message,
        code=code,
        evidence=evidence[:2000],
        hint="" if score is not None and score >= 1 else HINT.format(lab=ctx.lab),
    )


def _stage_finding(ctx, stage: str, seen: dict, what: str) -> Finding:
    keys = ["shape", "accuracy", "time"] if "shape" in seen else ["accuracy", "time"]
    found = [k for k in keys if seen.get(k)]
    missing = [k for k in keys if not seen.get(k)]
    score = len(found) / len(keys)
    message = (
        f"{what}: found " + ", ".join(f"{k} ({seen[k]})" for k in found)
        if found
        else f"{what}: no " + ", ".join(keys) + " found"
    )
    if missing and found:
        message += "; missing " + ", ".join(missing)
    return _finding(ctx, stage, score, message, "" if score == 1 else "incomplete")


def _images(text: str, folder) -> list[str]:
    refs = [" ".join(x for x in m if x) for m in IMAGE_REF.findall(text)]
    if folder is not None and folder.is_dir():
        refs += [
            p.name for p in sorted(folder.rglob("*")) if p.suffix.lower() in IMAGE_EXT
        ][:200]
    return refs


def _notebook_text(source: str) -> str:
    """The Markdown and printed outputs of a notebook's cells, as text."""
    try:
        cells = json.loads(source).get("cells", [])
    except (ValueError, AttributeError):
        return ""
    parts = []
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict):
            continue
        parts.append(_joined(cell.get("source")))
        for output in cell.get("outputs") or []:
            if isinstance(output, dict):
                parts.append(_joined(output.get("text")))
    return "\n".join(parts)


def _joined(value) -> str:
    return "".join(map(str, value)) if isinstance(value, list) else str(value or "")


def _lfs_findings(ctx, rules: dict) -> list[Finding]:
    out = []
    kinds = rules.get("lfs", {})
    sizes = rules.get("pruned_sizes", {})
    for key, extensions in kinds.items():
        result = lfs.judge(ctx.submission, ctx.rubric.summary_dir, list(extensions))
        out.append(
            _finding(
                ctx,
                f"lfs_{key}",
                result["score"],
                result["message"],
                result["code"],
                "\n".join(result["files"]),
            )
        )
        size, limit = result.get("size"), sizes.get(key)
        if size and limit and size > float(limit) * 2:
            out.append(
                Finding(
                    check=f"{NAME}.lfs_{key}_size",
                    item="",
                    passed=None,
                    audience="instructor",
                    code="unpruned_size",
                    message=f"The committed {key} model has {size:,} bytes, about "
                    f"{size / float(limit):.1f} times a pruned model's "
                    f"{int(limit):,}: it may be the unpruned model.",
                )
            )
    return out


def run(ctx: CheckContext) -> CheckResult:
    """Read the structured part of the summary; see the module docstring."""
    started = time.monotonic()
    rules = ctx.rubric.section("summary").get("structured", {})
    if not rules:
        return CheckResult(seconds=time.monotonic() - started)
    located = _locate.locate(ctx.submission, ctx.rubric.summary_dir)
    findings = _lfs_findings(ctx, rules)
    text_items = ["before", "pruned", "fine_tuned", "logs", "netron_image", "netron"]
    if located.path is None or located.format not in TEXT_FORMATS:
        why = (
            f"no summary was found in {ctx.rubric.summary_dir}/"
            if located.path is None
            else f"the summary {located.rel} is a {located.format} file"
        )
        code = "missing" if located.path is None else "manual_review"
        for name in text_items:
            score = 0.0 if located.path is None else None
            message = (
                why
                if score is not None
                else (f"{why}; the grader reads only text summaries: a person checks")
            )
            findings.append(_finding(ctx, name, score, message, code))
        return CheckResult(findings, {"file": located.rel}, time.monotonic() - started)
    data, _ = _locate.read_bytes(located.path, int(rules.get("max_bytes", 2_000_000)))
    text, _ = _locate.decode(data)
    if located.format == "notebook":
        text = _notebook_text(text)
    seen = structured.read(text, _images(text, located.path.parent), rules)
    findings.append(_stage_finding(ctx, "before", seen["before"], "before pruning"))
    findings.append(
        _stage_finding(
            ctx, "pruned", seen["pruned"], "after pruning, before fine-tuning"
        )
    )
    findings.append(
        _stage_finding(ctx, "fine_tuned", seen["fine_tuned"], "after fine-tuning")
    )
    logs = seen["logs"]
    findings.append(
        _finding(
            ctx,
            "logs",
            1.0 if logs else 0.0,
            f"the pruning logs: {logs} line(s) of show_pruned_weights output found"
            if logs
            else "no pruning logs (the 'remain/total' lines printed after "
            "compress()) found",
            "" if logs else "missing",
        )
    )
    netron = seen["netron"]
    message = (
        "a Netron picture: " + ", ".join(netron[:3])
        if netron
        else "no image named or captioned as a Netron graph found"
    )
    findings.append(_finding(ctx, "netron_image", 1.0 if netron else 0.0, message))
    findings.append(_finding(ctx, "netron", 1.0 if netron else 0.0, message))
    details = {"file": located.rel, "structured": seen}
    return CheckResult(findings, details, time.monotonic() - started)
