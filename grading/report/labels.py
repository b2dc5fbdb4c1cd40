"""The words and symbols reports show for states, in one place.

Templates print these; view code picks them. Changing a label here changes
every report, the class page and the gradebook's HTML alike.
"""

from __future__ import annotations

from functools import lru_cache

from grading.report.format import text

STATUS_LABELS = {
    "pass": ("ok", "\u2713", "Passed"),
    "partial": ("partial", "\u25d0", "Partly done"),
    "fail": ("fail", "\u2717", "Not yet"),
    "manual": ("manual", "\u25cb", "Awaiting review"),
    "error": ("error", "!", "Could not check"),
    "timeout": ("timeout", "\u29d6", "Out of time"),
}
FINDING_LABELS = {
    "ok": ("\u2713", "Passed"),
    "partial": ("\u25d0", "Partly"),
    "fail": ("\u2717", "Failed"),
    "info": ("i", "Note"),
    "review": ("\u25cb", "For review"),
    "warning": ("!", "Warning"),
    "timeout": ("\u29d6", "Out of time"),
}
EVIDENCE_LABELS = {
    "hidden": "Test output",
    "tests": "Test output",
    "summary": "From your summary",
    "history": "From your git history",
    "sandbox": "Grader log",
}

#: Banner of a report whose grading did not complete: (title, text).
BANNERS = {
    "error": (
        "Grading stopped early",
        "Some checks could not run, so the items they feed earn nothing for now. "
        "The findings below say what went wrong; fix it and push again.",
    ),
    "timeout": (
        "Grading ran out of time",
        "The checks took longer than the grader allows, so the items whose "
        "checks did not finish could not be checked: they are not scored, "
        "neither as passed nor as failed, until they are graded again. Look for "
        "an endless loop or a training run on the full data set where the task "
        "asks for a small one.",
    ),
}


#: Sections of a report: (key, title, lead, item statuses in it).
SECTIONS = (
    (
        "fix",
        "What to fix first",
        "These items lost points. Each finding says what was expected, what the "
        "grader saw, and what to do.",
        ("fail", "partial", "error"),
    ),
    (
        "timeout",
        "Not checked in time",
        "A time limit stopped these checks before they finished. That is not a "
        "score: these items are graded again with more time, or by a person.",
        ("timeout",),
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

#: Count chips under the score: (item status, words).
CHIPS = (
    ("pass", "passed"),
    ("partial", "partly done"),
    ("fail", "to fix"),
    ("error", "could not be checked"),
    ("timeout", "not checked in time"),
    ("manual", "awaiting review"),
)


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
