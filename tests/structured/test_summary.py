"""The structured part of a summary: stages, shapes, logs, Netron, LFS."""

from __future__ import annotations

import subprocess
from pathlib import Path

from grading.pipeline.rubric import load_rubric
from grading.summary import lfs, structured

RULES = load_rubric("l03_pruning_clustering").section("summary")["structured"]

ENGLISH = """
## Before pruning
Conv2d(1, 8, kernel_size=(3, 3)) ... Linear(in_features=15488, out_features=1024)
Accuracy: 91.2 %, mean inference time 1.9 ms

## Pruning logs
simulated prune conv1 remain/total: 4/8
simulated prune fc1 remain/total: 512/1024

## After pruning, before fine-tuning
Conv2d(1, 4, kernel_size=(3, 3)) ... Linear(in_features=7744, out_features=512)
Accuracy: 80.1 % and 0.7 ms

## After fine-tuning
| metric | value |
| --- | --- |
| accuracy | 90.4 |
| inference time | 0.7 |

![Netron graph of the pruned model](img/netron.png)
"""

POLISH = """
### Model przed przycinaniem
dokładność 0.912, czas 1.9 ms, warstwy 8/16/32
### Model po przycięciu (przed dostrajaniem)
dokładność 0.80, czas 0.7 ms, warstwy 4/8/16
### Po dostrajaniu
dokładność 0.90, czas wnioskowania 0.7 ms
"""


def test_english_summary_has_every_stage():
    seen = structured.read(ENGLISH, ["Netron graph img/netron.png"], RULES)
    for stage in ("before", "pruned", "fine_tuned"):
        assert seen.stage(stage).accuracy and seen.stage(stage).time, stage
    assert seen.before.shape and seen.pruned.shape
    assert seen.logs == 2 and seen.netron


def test_polish_summary_and_what_is_missing():
    seen = structured.read(POLISH, [], RULES)
    assert seen.before.accuracy and seen.pruned.time
    assert seen.fine_tuned.accuracy and seen.fine_tuned.time
    assert seen.before.shape == "8/16/32" and seen.pruned.shape == "4/8/16"
    assert seen.logs == 0 and not seen.netron
    empty = structured.read("Nothing about pruning here.", ["plot.png"], RULES)
    assert not any(empty.stage(s).accuracy for s in ("before", "pruned", "fine_tuned"))


def _git(root: Path, *args: str) -> None:
    env = {"GIT_AUTHOR_NAME": "S", "GIT_AUTHOR_EMAIL": "s@example.org",
           "GIT_COMMITTER_NAME": "S", "GIT_COMMITTER_EMAIL": "s@example.org",
           "PATH": "/usr/bin:/bin"}  # fmt: skip
    subprocess.run(["git", *args], cwd=root, check=True, env=env, capture_output=True)


def test_lfs_pointer_plain_file_and_missing(tmp_path):
    folder = tmp_path / "summaries/l03"
    folder.mkdir(parents=True)
    pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"a" * 64
    (folder / "final.pth").write_bytes(pointer + b"\nsize 15892565\n")
    (folder / "model.onnx").write_bytes(b"\x08\x07" * 2000)
    (tmp_path / ".gitattributes").write_text(
        "*.pth filter=lfs diff=lfs merge=lfs -text\n"
    )
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "Add the models")
    pth = lfs.judge(tmp_path, "summaries/l03", [".pth"])
    assert pth.score == 1.0 and "pointer" in pth.message
    assert pth.size == 15892565
    onnx = lfs.judge(tmp_path, "summaries/l03", [".onnx"])
    assert onnx.score == 0.5 and onnx.code == "not_lfs"
    assert lfs.judge(tmp_path, "summaries/l03", [".tflite"]).score == 0.0
    assert lfs.parse_pointer(b"not a pointer") is None
    assert pth.object == "absent" and "not fetched" in pth.message


def test_lfs_object_in_the_clone_is_checked_against_its_pointer(tmp_path):
    import hashlib

    model = b"\x00pruned model bytes" * 100
    oid = hashlib.sha256(model).hexdigest()
    pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\n"
    folder = tmp_path / "summaries/l03"
    folder.mkdir(parents=True)
    (folder / "final.pth").write_text(pointer + f"size {len(model)}\n")
    (tmp_path / ".gitattributes").write_text("*.pth filter=lfs -text\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "Add the model")
    stored = tmp_path / ".git/lfs/objects" / oid[:2] / oid[2:4] / oid
    stored.parent.mkdir(parents=True)
    stored.write_bytes(model)
    checked = lfs.judge(tmp_path, "summaries/l03", [".pth"])
    assert checked.score == 1.0 and checked.object == "checked"
    assert "checked against its pointer" in checked.message
    stored.write_bytes(model[:-1] + b"!")
    assert lfs.judge(tmp_path, "summaries/l03", [".pth"]).object == "mismatch"
    (folder / "final.pth").write_bytes(model)  # the object checked out
    stored.unlink()
    assert lfs.judge(tmp_path, "summaries/l03", [".pth"]).object == "checked"


def test_check_on_a_committed_summary(tmp_path):
    from grading.checks import CheckContext, structured_summary

    rubric = load_rubric("l03_pruning_clustering")
    folder = tmp_path / rubric.summary_dir
    (folder / "img").mkdir(parents=True)
    (folder / "summary.md").write_text(ENGLISH, encoding="utf-8")
    (folder / "img/netron.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"b" * 64
    for name in ("final-model.pth", "model.onnx", "model.tflite"):
        (folder / name).write_bytes(pointer + b"\nsize 15900000\n")
    (tmp_path / ".gitattributes").write_text(
        "".join(f"*.{x} filter=lfs diff=lfs merge=lfs -text\n" for x in ("pth", "onnx"))
    )
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "Add the summary")
    ctx = CheckContext(tmp_path, tmp_path / "work", rubric.lab, rubric)
    found = {f.check.split(".", 1)[1]: f for f in structured_summary.run(ctx).findings}
    for name in ("before", "pruned", "fine_tuned", "logs", "netron_image"):
        assert found[name].passed, (name, found[name].message)
    assert found["lfs_pytorch"].passed and found["lfs_onnx"].passed
    # A pointer committed without a .gitattributes pattern: half, as
    # docs/summary-checks.md says (the pattern is required).
    assert found["lfs_tflite"].earned == 0.5
    assert found["lfs_tflite"].code == "lfs_untracked"
    assert ".gitattributes" in found["lfs_tflite"].message
    assert {f.item for f in found.values()} >= {"structured_summary_before"}


def test_check_without_a_summary_gives_zero_not_a_crash(tmp_path):
    from grading.checks import CheckContext, structured_summary

    rubric = load_rubric("l03_pruning_clustering")
    ctx = CheckContext(tmp_path, tmp_path / "work", rubric.lab, rubric)
    findings = structured_summary.run(ctx).findings
    assert findings and all(f.earned == 0.0 for f in findings if f.item)


def test_notebook_summary_is_read_from_its_cells(tmp_path):
    import json

    from grading.checks import CheckContext, structured_summary

    rubric = load_rubric("l03_pruning_clustering")
    folder = tmp_path / rubric.summary_dir
    folder.mkdir(parents=True)
    cells = [
        {"cell_type": "markdown", "source": ["## Before pruning\n", "Accuracy 91 %\n"]},
        {"cell_type": "code", "source": "print(logs)",
         "outputs": [{"output_type": "stream", "text": ["conv1 remain/total: 4/8\n"]}]},
    ]  # fmt: skip
    (folder / "summary.ipynb").write_text(json.dumps({"cells": cells}))
    ctx = CheckContext(tmp_path, tmp_path / "work", rubric.lab, rubric)
    found = {f.check.split(".", 1)[1]: f for f in structured_summary.run(ctx).findings}
    assert found["logs"].passed and found["before"].earned == 1 / 3
