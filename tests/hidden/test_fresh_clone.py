"""The fresh-clone retry of the hidden tests: which folders it creates."""

from __future__ import annotations

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
