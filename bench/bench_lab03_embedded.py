"""Wall time of lab 03 on the embedded default: all 8 variants, reference solution.

Runs ``python -m grading lab l03_pruning_clustering --reference`` in a child
process (so the TensorFlow import and the tiny-model cache are counted as a
student would see them) and prints the total wall time, the time per variant
taken from the log, and the model size table. Target: at most 3 minutes on a
2-core machine.

Usage: ``python bench/bench_lab03_embedded.py [--cold]``; ``--cold`` uses an
empty cache directory so the embedded data set and the tiny model are rebuilt.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 180


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cold", action="store_true", help="start with an empty cache")
    args = parser.parse_args()
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2")
    with tempfile.TemporaryDirectory() as tmp:
        if args.cold:
            env["DL_IN_IOT_CACHE"] = str(Path(tmp) / "cache")
        results = Path(tmp) / "results"
        command = [
            sys.executable,
            "-m",
            "grading",
            "lab",
            "l03_pruning_clustering",
            "--reference",
            "--results-path",
            str(results),
        ]
        start = time.perf_counter()
        run = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - start
        if run.returncode != 0:
            print(run.stdout[-3000:], run.stderr[-3000:], sep="\n")
            print(f"FAILED with exit code {run.returncode} after {wall:.1f} s")
            return 1
        per_variant = re.findall(
            r"INFO: (\S+): accuracy ([\d.]+), ([\d.]+) ms per image, ([\d.]+) s",
            run.stderr,
        )
        cache = "cold" if args.cold else "warm"
        print(f"lab 03 on the embedded default, 8 variants, cache {cache}")
        print(f"{'variant':<20} {'accuracy':>8} {'ms/img':>7} {'seconds':>8}")
        for name, accuracy, ms, seconds in per_variant:
            row = f"{name:<20} {float(accuracy):8.4f} {float(ms):7.2f}"
            print(f"{row} {float(seconds):8.1f}")
        print()
        print((results / "model-sizes.md").read_text())
        verdict = "OK" if wall <= TARGET_SECONDS else "OVER TARGET"
        print(
            f"total wall time: {wall:.1f} s (target <= {TARGET_SECONDS} s): {verdict}"
        )
        print(f"variants finished: {len(per_variant)} of 8")
    return 0 if len(per_variant) == 8 else 1


if __name__ == "__main__":
    sys.exit(main())
