"""The fresh-clone retry of the hidden tests: which folders it creates."""

from __future__ import annotations

from pathlib import Path

from grading.hidden.fresh_clone import missing_folders


def test_fresh_clone_folders_are_only_missing_ones_inside_the_copy(tmp_path):
    (tmp_path / "results").mkdir()
    texts = [
        "FileNotFoundError: [Errno 2] No such file or directory: 'logs/run.log'",
        f"No such file or directory: '{tmp_path}/build/out/a.txt'",
        "No such file or directory: 'results/x.csv'",  # exists
        "No such file or directory: '/etc/nothing/here.txt'",  # outside
        "No such file or directory: '../elsewhere/x.txt'",  # outside
        "No such file or directory: '.git/hooks/x'",  # never .git
        "No such file or directory: 'missing.txt'",  # the copy itself exists
    ]
    assert missing_folders(tmp_path, texts) == ["logs", "build/out"]
    assert missing_folders(tmp_path, ["ValueError: bad"]) == []
    # The sandbox may show the working copy at another path.
    inside = ["No such file or directory: '/sandbox/work/out/x.txt'"]
    assert missing_folders(tmp_path, inside, Path("/sandbox/work")) == ["out"]


def test_retry_creates_the_folder_and_scores_the_second_run(tmp_path):
    import json

    from grading.hidden.fresh_clone import CHECK, retry

    workcopy, artifacts = tmp_path / "work", tmp_path / "artifacts"
    workcopy.mkdir()
    artifacts.mkdir()
    results = artifacts / "hidden-results.json"
    error = "FileNotFoundError: [Errno 2] No such file or directory: 'logs/a.log'"
    manifest = {"import_error": {"message": f"importing failed with {error}"}}
    (artifacts / "manifest.json").write_text(json.dumps(manifest))
    first = {"results": {"t": {"outcome": "failed", "message": error}}}
    runs = []

    def run_again():
        runs.append((workcopy / "logs").is_dir())
        results.write_text(json.dumps({"finished": True, "results": {}}))
        return "second"

    result, data, findings = retry(
        "", workcopy, artifacts, results, ("1st", first), run_again
    )
    assert runs == [True] and result == "second" and data["finished"] is True
    assert [f.check for f in findings] == [CHECK] and findings[0].passed is False
    assert findings[0].item == "" and "logs/" in findings[0].message
    assert "mkdir" in findings[0].hint and not (artifacts / "manifest.json").exists()
    # Nothing missing: the first run stands; a passed finding only when an
    # item lists the check.
    calm = {"results": {"t": {"outcome": "passed"}}}
    assert retry("", workcopy, artifacts, results, ("1st", calm), run_again)[2] == []
    listed = retry("code", workcopy, artifacts, results, ("1st", calm), run_again)
    assert listed[0] == "1st" and listed[2][0].passed is True and len(runs) == 1
