"""A stand-in for ``python -m grading grade`` used by the batch tests.

It behaves according to the student id:

- ``slow``: sleeps for a minute (a hanging submission);
- ``boom``: prints a traceback and exits with code 3 (the grader crashed);
- ``forker``: starts a grandchild that sleeps, writes its pid to
  ``OUT/forker.pid``, then hangs (the batch must kill both);
- ``nowrite``: exits 0 without writing results.json;
- ``lateonce``: without ``--test-timeout`` (a first grading), writes
  results.json with status ``timeout`` and one item out of time; with it (the
  batch's regrade with doubled limits), grades normally;
- ``alwayslate``: always writes results.json with status ``timeout``;
- ``slowonce``: without ``--test-timeout``, hangs (the batch's own limit
  stops it); with it, grades normally;
- anyone else: writes a small results.json naming the commit it graded.

Every results.json records the options it was given (``argv``).
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
parser.add_argument("--test-timeout", type=float)
args, unknown = parser.parse_known_args()
regrade = args.test_timeout is not None

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
if args.student == "slowonce" and not regrade:
    time.sleep(60)
late = args.student == "alwayslate" or (args.student == "lateonce" and not regrade)
item = {
    "id": "code",
    "title": "Code",
    "points": 0.0 if late else 1.0,
    "max_points": 1.0,
    "kind": "auto",
    "status": "timeout" if late else "pass",
    "findings": [],
}

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
            "status": "timeout" if late else "graded",
            "score": 0.0 if late else 1.0,
            "max_score": 2.0,
            "items": [item] if args.student in ("lateonce", "alwayslate") else [],
            "submission": str(args.submission),
            "head": head,
            "files": files,
            "cpus": sorted(os.sched_getaffinity(0)),
            "argv": sys.argv[1:],
        }
    )
)
print(f"graded {args.student} at {head}")
