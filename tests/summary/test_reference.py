"""The real student summary from the shared reference folder, read in place."""

from pathlib import Path

import pytest

from grading.summary import analyze

REFERENCE = Path("/work/shared/reference/lab03-student-summary-en.md")

pytestmark = pytest.mark.skipif(
    not REFERENCE.is_file(),
    reason=f"{REFERENCE} is not on this machine (it is not part of the project)",
)


@pytest.fixture(scope="module")
def result():
    from grading.pipeline.rubric import load_rubric

    return analyze(REFERENCE, load_rubric("l03_pruning_clustering")).to_dict()


def test_all_eight_variants_with_complete_metrics(result):
    assert result["variants_found"] == result["variants_expected"]
    assert len(result["variants_found"]) == 8
    for row in result["metrics"].values():
        assert all(
            row[k] is not None
            for k in ("accuracy", "precision", "sensitivity", "g_mean", "inference_ms")
        )
        assert 0.0 <= row["accuracy"] <= 1.0


def test_all_eight_deflation_entries(result):
    assert set(result["deflation"]) == set(result["variants_expected"])
    for entry in result["deflation"].values():
        assert entry["percent"] is not None and 0 < entry["percent"] < 100
        assert entry["size_bytes"] is not None and entry["size_bytes"] > 1_000_000
    assert result["deflation"]["clustered-2-fp32"]["percent"] == 48.0


def test_all_four_questions(result):
    assert [a["found"] for a in result["questions"].values()] == [True] * 4
    assert all(a["words"] > 5 for a in result["questions"].values())
    assert "deflation" in result["questions"]["q3"]["heading"].lower()


def test_warns_about_clustered_2_deflation(result):
    bands = [w for w in result["warnings"] if w["code"] == "deflation_band"]
    assert any(
        w["variant"] == "clustered-2-fp32" and "48" in w["message"] for w in bands
    )


def test_images_are_missing_here(result):
    cms = result["confusion_matrices"]
    assert len(cms) == 8
    assert all(c["problem"] == "missing" and not c["exists"] for c in cms.values())
