"""./run installs the Debian packages the tests need, and only those missing.

The block of ``./run`` between ``# >>> Debian packages`` and ``# <<< Debian
packages`` is run in bash with fake ``dpkg``, ``apt-cache``, ``apt-get`` and
``id`` first on the PATH (never the real ones, and never the rest of
``./run``, which would install into the shared .venv).
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from delivery_helpers import REPO

FAKES = {
    # dpkg -s PKG: "installed" for the names in $FAKE_INSTALLED
    "dpkg": """#!/bin/bash
for p in $FAKE_INSTALLED; do
  if [ "$p" = "$2" ]; then
    echo "Package: $2"; echo "Status: install ok installed"; exit 0
  fi
done
for p in $FAKE_REMOVED; do
  if [ "$p" = "$2" ]; then echo "Status: deinstall ok config-files"; exit 0; fi
done
echo "dpkg-query: package '$2' is not installed" >&2; exit 1
""",
    "apt-cache": (
        '#!/bin/bash\necho "apt-cache $*" >> "$FAKE_LOG"\nexit "$FAKE_LISTS"\n'
    ),
    "apt-get": '#!/bin/bash\necho "apt-get $*" >> "$FAKE_LOG"\n',
    "id": '#!/bin/bash\necho "$FAKE_UID"\n',
}


def packages_block() -> str:
    text = (REPO / "run").read_text()
    block = re.search(r"# >>> Debian packages.*?# <<< Debian packages", text, re.S)
    assert block, "./run lost its Debian packages block"
    return block.group(0)


def run_block(
    tmp_path, call, *, installed="", removed="", uid=0, lists=0, env=None, venv=True
):
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    for name, body in FAKES.items():
        (fake / name).write_text(body)
        (fake / name).chmod(0o755)
    log = tmp_path / "apt.log"
    log.write_text("")
    python = sys.executable
    folder = tmp_path / "venv"
    if venv:
        (folder / "bin").mkdir(parents=True, exist_ok=True)
        (folder / "bin" / "python").symlink_to(sys.executable)
    else:  # no venv yet, and a python3 without ensurepip (Debian's, bare)
        python = fake / "python3"
        python.write_text("#!/bin/bash\nexit 1\n")
        python.chmod(0o755)
    script = f"set -euo pipefail\npython={python}\nvenv={folder}\n"
    script += packages_block() + "\n" + call + "\n"
    proc = subprocess.run(
        ["bash", "-c", script],
        env={
            "PATH": f"{fake}:/usr/bin:/bin",
            "FAKE_INSTALLED": installed,
            "FAKE_REMOVED": removed,
            "FAKE_UID": str(uid),
            "FAKE_LISTS": str(lists),
            "FAKE_LOG": str(log),
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stderr, log.read_text().splitlines()


ALL = "bubblewrap chromium slurm-wlm munge dataset-fashion-mnist git-lfs"


def test_the_test_packages_are_the_ones_the_tests_need():
    block = packages_block()
    listed = re.search(r"test_packages=\(([^)]*)\)", block).group(1).split()
    assert listed == ALL.split()
    assert re.search(r"demo_packages=\(([^)]*)\)", block).group(1).split() == [
        "bubblewrap"
    ]


def test_nothing_is_done_when_everything_is_installed(tmp_path):
    err, calls = run_block(
        tmp_path, 'ensure_packages "${test_packages[@]}"', installed=ALL
    )
    assert calls == [] and err == ""


def test_root_installs_only_what_is_missing_without_update(tmp_path):
    err, calls = run_block(
        tmp_path,
        'ensure_packages "${test_packages[@]}"',
        installed="bubblewrap slurm-wlm munge dataset-fashion-mnist",
        removed="git-lfs",  # config files left: not installed
    )
    assert calls[0] == "apt-cache show chromium git-lfs"
    assert calls[1:] == [
        "apt-get install -y -qq --no-install-recommends chromium git-lfs"
    ]
    assert "apt-get update" not in err


def test_root_updates_the_lists_first_only_when_needed(tmp_path):
    _err, calls = run_block(
        tmp_path, 'ensure_packages "${test_packages[@]}"', installed="", lists=100
    )
    assert calls[1] == "apt-get update -qq"
    assert calls[2] == f"apt-get install -y -qq --no-install-recommends {ALL}"


@pytest.mark.parametrize("env", [{}, {"RUN_NO_APT": "1"}])
def test_without_root_it_says_what_to_install(tmp_path, env):
    uid = 0 if env else 1000
    err, calls = run_block(
        tmp_path,
        'ensure_packages "${test_packages[@]}"',
        installed="bubblewrap munge",
        uid=uid,
        env=env,
    )
    assert calls == []
    want = "chromium slurm-wlm dataset-fashion-mnist git-lfs"
    assert (
        f"install them as root: apt-get install -y --no-install-recommends {want}"
        in err
    )
    assert "skipped (and fail with CI=true)" in err


def test_a_machine_without_dpkg_is_told_what_is_needed(tmp_path):
    err, calls = run_block(tmp_path, "PATH=/nowhere; ensure_packages bubblewrap")
    assert calls == [] and "no dpkg here (not Debian)" in err and "bubblewrap" in err


def test_debian_python_without_venv_support_gets_python3_venv(tmp_path):
    _err, calls = run_block(tmp_path, "ensure_packages", venv=False)
    assert calls[-1] == "apt-get install -y -qq --no-install-recommends python3-venv"
