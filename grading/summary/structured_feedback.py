"""Findings of the ``structured_summary`` check from a :class:`StructuredReport`.

Ids ``structured_summary.<name>``: ``before``, ``pruned``, ``fine_tuned``
(the share of shape, accuracy and time found for that stage), ``logs``,
``lfs_pytorch``, ``lfs_onnx``, ``lfs_tflite``, ``netron_image`` and
``netron`` (a suggestion for the manual Netron item), and an instructor note
``lfs_<kind>_size`` when a committed model is over twice a pruned model's
size. A summary that is missing gives 0 for the text items; one that is not
text sends them to a person.
"""

from __future__ import annotations

from grading.pipeline.findings import Finding
from grading.pipeline.rubric import Rubric
from grading.summary.structured import Stage
from grading.summary.structured_report import StructuredReport

NAME = "structured_summary"
TEXT_ITEMS = ("before", "pruned", "fine_tuned", "logs", "netron_image", "netron")
STAGE_TITLES = {
    "before": "before pruning",
    "pruned": "after pruning, before fine-tuning",
    "fine_tuned": "after fine-tuning",
}
HINT = (
    "Add it to the summary in summaries/{lab}/ as the README's part 2 summary "
    "asks (see the section 'Part 2 summary')."
)


class _Maker:
    """Builds ``structured_summary.<name>`` findings for one rubric and lab."""

    def __init__(self, rubric: Rubric, lab: str):
        self.rubric, self.lab = rubric, lab

    def __call__(self, name, score, message, code="", evidence="") -> Finding:
        """A finding of ``<name>``; ``score`` None: a person decides."""
        check = f"{NAME}.{name}"
        return Finding(
            check=check,
            item=self.rubric.item_fed_by(check),
            passed=None if score is None else score >= 1.0,
            score=score,
            message=message,
            code=code,
            evidence=evidence[:2000],
            hint="" if score is not None and score >= 1 else HINT.format(lab=self.lab),
        )


def _stage_finding(make: _Maker, stage: str, seen: Stage) -> Finding:
    what = STAGE_TITLES[stage]
    keys = seen.keys()
    found = [k for k in keys if seen.get(k)]
    missing = [k for k in keys if not seen.get(k)]
    score = len(found) / len(keys)
    message = (
        f"{what}: found " + ", ".join(f"{k} ({seen.get(k)})" for k in found)
        if found
        else f"{what}: no " + ", ".join(keys) + " found"
    )
    if missing and found:
        message += "; missing " + ", ".join(missing)
    return make(stage, score, message, "" if score == 1 else "incomplete")


def _lfs_findings(make: _Maker, report: StructuredReport) -> list[Finding]:
    out = []
    for key, result in report.lfs.items():
        out.append(
            make(
                f"lfs_{key}",
                result.score,
                result.message,
                result.code,
                "\n".join(result.files),
            )
        )
        size, limit = result.size, report.pruned_sizes.get(key)
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


def _unread_findings(make: _Maker, report: StructuredReport, folder: str):
    if report.file is None:
        why, code, score = f"no summary was found in {folder}/", "missing", 0.0
    else:
        why = f"the summary {report.file} is a {report.format} file"
        code, score = "manual_review", None
    message = (
        why
        if score is not None
        else f"{why}; the grader reads only text summaries: a person checks"
    )
    return [make(name, score, message, code) for name in TEXT_ITEMS]


def findings_of(report: StructuredReport, rubric: Rubric, lab: str) -> list[Finding]:
    """Return the findings of the ``structured_summary`` check.

    Parameters
    ----------
    report : StructuredReport
        What :func:`grading.summary.structured_report.analyze_structured` read.
    rubric : Rubric
        The lab's rubric (the items each finding feeds).
    lab : str
        The lab id, named in the hints.

    Returns
    -------
    list of Finding
        The LFS findings, then one finding per text item.
    """
    make = _Maker(rubric, lab)
    findings = _lfs_findings(make, report)
    seen = report.seen
    if seen is None:
        return findings + _unread_findings(make, report, rubric.summary_dir)
    for stage in ("before", "pruned", "fine_tuned"):
        findings.append(_stage_finding(make, stage, seen.stage(stage)))
    logs = seen.logs
    findings.append(
        make(
            "logs",
            1.0 if logs else 0.0,
            f"the pruning logs: {logs} line(s) of show_pruned_weights output found"
            if logs
            else "no pruning logs (the 'remain/total' lines printed after "
            "compress()) found",
            "" if logs else "missing",
        )
    )
    netron = seen.netron
    message = (
        "a Netron picture: " + ", ".join(netron[:3])
        if netron
        else "no image named or captioned as a Netron graph found"
    )
    findings.append(make("netron_image", 1.0 if netron else 0.0, message))
    findings.append(make("netron", 1.0 if netron else 0.0, message))
    return findings
