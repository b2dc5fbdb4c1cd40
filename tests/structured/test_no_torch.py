"""Without the structured extra the part's code items wait for a person."""

from __future__ import annotations

import importlib.util

import pytest

from tests.structured import corpus

CODE = [i for i in corpus.CODE_ITEMS]


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("torch") is not None,
    reason="torch is installed: this test is for environments without it",
)
def test_reference_without_torch_goes_to_a_person(tmp_path):
    results = corpus.grade_case("correct", tmp_path)
    items = {i["id"]: i for i in results["items"]}
    for item in CODE:
        assert items[item]["status"] == "manual", item
        codes = {f["code"] for f in items[item]["findings"]}
        assert "not_runnable" in codes, (item, codes)
    hints = [f["hint"] for f in items["structured_onnx"]["findings"]]
    assert any("a person grades" in h for h in hints)
