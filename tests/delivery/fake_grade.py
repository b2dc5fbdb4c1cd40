"""A stand-in for ``python -m grading grade`` used by the batch tests.

It behaves according to the student id:

- ``slow``: sleeps for a minute (a hanging submission);
- ``boom``: prints a traceback and exits with code 3 (the grader crashed);
- ``forker``: starts a grandchild that sleeps, writes its pid to
  ``OUT/forker.pid``, then hangs (the batch must kill both);
- ``nowrite``: exits 0 without writing results.json;
- anyone else: writes a small results.json naming the commit it graded.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("submission", type=Path)
parser.add_argument("--out", type=Path)
parser.add_argument("--student")
parser.add_argument("--lab")
parser.add_argument("--timeout", type=float)  # the batch may pass the sandbox limit
args = parser.parse_args()

if args.student == "slow":
    time.sleep(60)
if args.student == "boom":
    print("Traceback (most recent call last):\nRuntimeError: boom in the grader")
    sys.exit(3)
if args.student == "forker":
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    pidfile = Path(args.submission).parent.parent.parent / "forker.pid"
    pidfile.write_text(str(child.pid))
    time.sleep(120)
if args.student == "nowrite":
    sys.exit(0)

head = subprocess.run(
    ["git", "rev-parse", "HEAD"], cwd=args.submission, capture_output=True, text=True
).stdout.strip()
files = sorted(p.name for p in args.submission.iterdir())
args.out.mkdir(parents=True, exist_ok=True)
(args.out / "results.json").write_text(
    json.dumps(
        {
            "schema": 1,
            "lab": args.lab,
            "student": args.student,
            "status": "graded",
            "score": 1.0,
            "max_score": 2.0,
            "items": [],
            "submission": str(args.submission),
            "head": head,
            "files": files,
            "cpus": sorted(os.sched_getaffinity(0)),
        }
    )
)
print(f"graded {args.student} at {head}")
