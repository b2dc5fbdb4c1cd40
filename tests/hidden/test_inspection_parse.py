"""The inspection's output is read against the rubric's items, never trusted."""

from __future__ import annotations

import json

from grading.hidden import inspection, outcomes
from grading.pipeline.findings import Finding
from grading.pipeline.rubric import load_rubric

RUBRIC = load_rubric("l03_pruning_clustering")
ITEM, CHECK = RUBRIC.checks_with_prefix(("artifact.",))[0]


def entry(**changes) -> dict:
    return {"check": CHECK, "item": ITEM, "passed": False, "message": "m", **changes}


def test_parse_keeps_known_items_and_drops_the_rest():
    stdout = json.dumps(
        [
            entry(),
            entry(item="no_such_item"),
            entry(item=["a", "list"]),
            entry(passed="yes"),
        ]
    )
    found = inspection._parse(stdout, RUBRIC)
    assert [(f.item, f.check, f.passed) for f in found] == [(ITEM, CHECK, False)]


def test_with_hint_reads_the_item_from_the_rubric():
    item = RUBRIC.item(ITEM)
    failed = outcomes.with_hint(Finding(CHECK, ITEM, False, "x"), RUBRIC)
    assert failed.hint and (item.readme in failed.hint or item.title in failed.hint)
    unknown = outcomes.with_hint(Finding(CHECK, "no_such_item", False, "x"), RUBRIC)
    assert unknown.hint is not None
    passed = Finding(CHECK, ITEM, True, "ok")
    assert outcomes.with_hint(passed, RUBRIC).hint == passed.hint
