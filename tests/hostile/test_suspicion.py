"""Fast checks of the rules that keep a suspected forgery from scoring."""

from grading.pipeline.findings import Finding
from grading.pipeline.rubric import load_rubric
from grading.pipeline.scoring import SUSPICION_CODES, score


def _rubric():
    return load_rubric("l03_pruning_clustering")


def _passing(rubric, item_id):
    item = rubric.item(item_id)
    return [
        Finding(check=c.check, item=item_id, passed=True, message="ok")
        for c in item.checks
    ]


def test_suspicion_puts_a_passing_item_on_hold():
    rubric = _rubric()
    for code in SUSPICION_CODES:
        findings = _passing(rubric, "clustered_model") + [
            Finding(
                check="artifact.clustered_model.derived",
                item="clustered_model",
                passed=False,
                code=code,
                audience="instructor",
                message="the kernels do not come from the model the tests gave",
            )
        ]
        items = {i["id"]: i for i in score(rubric, findings)["items"]}
        held = items["clustered_model"]
        assert (held["points"], held["status"], held["source"]) == (
            0.0,
            "manual",
            "manual",
        )
        assert held["suggested_points"] == held["max_points"]


def test_without_suspicion_the_same_item_passes():
    rubric = _rubric()
    items = {
        i["id"]: i for i in score(rubric, _passing(rubric, "clustered_model"))["items"]
    }
    assert items["clustered_model"]["status"] == "pass"
