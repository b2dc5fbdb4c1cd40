"""``import ai_edge_torch`` works as the course README says, on litert-torch."""

from __future__ import annotations

import importlib
import importlib.util
import sys

import numpy as np
import pytest

from grading.util.paths import SUITES_DIR

HAS_LITERT = importlib.util.find_spec("litert_torch") is not None


def test_shim_imports_with_or_without_litert_torch():
    import ai_edge_torch

    assert callable(ai_edge_torch.convert)
    if not HAS_LITERT:
        with pytest.raises(ImportError, match=r"requirements-structured\.txt"):
            ai_edge_torch.convert(None, ())
    else:
        import litert_torch

        assert ai_edge_torch.convert is litert_torch.convert
        assert ai_edge_torch.BACKEND == "litert_torch"


@pytest.mark.skipif(not HAS_LITERT, reason="litert-torch is not installed")
def test_grader_stand_in_replaces_a_submission_copy(monkeypatch):
    monkeypatch.syspath_prepend(str(SUITES_DIR / "l03_pruning_clustering"))
    monkeypatch.setitem(sys.modules, "ai_edge_torch", object())
    standins = importlib.import_module("structured_standins")
    assert standins.install_ai_edge_torch()
    import litert_torch

    assert sys.modules["ai_edge_torch"].convert is litert_torch.convert


@pytest.mark.slow
@pytest.mark.skipif(not HAS_LITERT, reason="litert-torch is not installed")
def test_convert_and_export_a_pruned_classifier(tmp_path):
    import torch

    import ai_edge_torch
    from dl_in_iot_course.misc.fashion_net import FashionNet
    from grading.hidden.artifacts import run_tflite

    torch.manual_seed(0)
    model = FashionNet((4, 8, 16), 512).eval()
    sample = torch.randn(1, 1, 28, 28)
    ai_edge_torch.convert(model, (sample,)).export(str(tmp_path / "m.tflite"))
    seen = run_tflite(tmp_path / "m.tflite", sample.numpy().reshape(1, -1))
    expected = model(sample).detach().numpy()
    assert np.max(np.abs(seen - expected)) < 1e-5
