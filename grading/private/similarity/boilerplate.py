"""Template code as boilerplate: ours from the stubs, the original's as data.

Every accepted template version (``grading/versions/templates.toml``) gives
code every student starts from, so it scores nothing. Our own version is
read from the stubs under ``dl_in_iot_course/`` at run time. For the
original course's versions only fingerprints are kept, never code: every
k-gram hash of the lab's modules at each version's commit, written by

    python -m grading.private.similarity.boilerplate --mirror PATH

into ``data/<lab>.boilerplate.json`` (sorted 64-bit hashes, base64). The file
records ``k``, the hash and the filter; when the rubric's ``k`` differs it
is not used and the report says to run the command again.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import sys
from pathlib import Path

import numpy as np

from grading.pipeline.rubric import default_lab
from grading.private.similarity import code as code_prints
from grading.private.similarity.settings import Settings, from_rubric
from grading.util.globs import glob_regex
from grading.util.io import read_json, write_json
from grading.util.paths import REPO_ROOT

DATA_DIR = Path(__file__).resolve().parent / "data"
#: The tokeniser and filter whose output is hashed (recorded in the data).
FILTER = "copydetect 0.5.0 filter_code, language python"
DEFAULT_MIRROR = Path("/work/.mirror/antmicro+dl-in-iot-course/repo")


def _matches(path: str, settings: Settings) -> bool:
    return any(glob_regex(p).match(path) for p in settings.code) and not any(
        glob_regex(p).match(path) for p in settings.code_exclude
    )


def our_modules(settings: Settings, root: Path = REPO_ROOT) -> list[tuple[str, str]]:
    """Return ``(path, text)`` of our template's modules the code globs match."""
    course = root / "dl_in_iot_course"
    modules = []
    for path in sorted(course.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if _matches(rel, settings):
            modules.append((rel, path.read_text(encoding="utf-8")))
    return modules


def encode(hashes: set[int]) -> str:
    """Return sorted hashes as base64 of little-endian int64."""
    array = np.array(sorted(hashes), dtype="<i8")
    return base64.b64encode(array.tobytes()).decode("ascii")


def decode(text: str) -> set[int]:
    """Return the hashes :func:`encode` wrote."""
    return set(np.frombuffer(base64.b64decode(text), dtype="<i8").tolist())


def boilerplate_file(lab: str, data_dir: Path | None = None) -> Path:
    """Return the stored fingerprints of the original course for ``lab``."""
    return (data_dir or DATA_DIR) / f"{lab}.boilerplate.json"


def load_stored(settings: Settings, path: Path) -> tuple[set[int], list[str]]:
    """Return the stored hashes of the original course and any warnings."""
    if not path.is_file():
        return set(), [
            f"no fingerprints of the original course's templates ({path.name}); "
            "run python -m grading.private.similarity.boilerplate"
        ]
    data, error = read_json(path)
    if not isinstance(data, dict):
        return set(), [f"{path.name} is unreadable ({error}); run the generator again"]
    if data.get("k") != settings.k or data.get("hash") != code_prints.HASH_NAME:
        return set(), [
            f"{path.name} was made with k={data.get('k')} and the rubric asks "
            f"k={settings.k}; the original course's templates are not treated as "
            "boilerplate until python -m grading.private.similarity.boilerplate "
            "is run again"
        ]
    try:
        return decode(str(data.get("hashes", ""))), []
    except ValueError as exc:
        return set(), [f"{path.name} is damaged ({exc}); run the generator again"]


def template_hashes(
    settings: Settings, lab: str, data_dir: Path | None = None
) -> tuple[frozenset[int], list[str]]:
    """Return every template version's k-gram hashes, and warnings."""
    ours = code_prints.template_hashes(our_modules(settings), settings.k)
    stored, warnings = load_stored(settings, boilerplate_file(lab, data_dir))
    return frozenset(ours | stored), warnings


# ---------------------------------------------------------------------------
# Generating the stored fingerprints
# ---------------------------------------------------------------------------


def original_versions(mirror: Path, settings: Settings) -> list[dict]:
    """Read the lab's modules of every original-course version from ``mirror``.

    Returns
    -------
    list of dict
        ``{"id", "commit", "files": [{"path", "blob"}], "modules": [(path, text)]}``
        per version of ``templates.toml`` that names a repository.
    """
    from grading.util.git import run_git
    from grading.versions import load_versions

    where = (
        ["--git-dir", str(mirror)]
        if (mirror / "HEAD").is_file()
        else ["-C", str(mirror)]
    )
    versions = []
    for version in load_versions():
        if version.is_ours or not version.commit:
            continue
        listing = run_git([*where, "ls-tree", "-r", version.commit])
        files = []
        for line in listing.splitlines():
            meta, _, path = line.partition("\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob" and _matches(path, settings):
                files.append({"path": path, "blob": parts[2]})
        modules = [
            (f["path"], run_git([*where, "cat-file", "blob", f["blob"]])) for f in files
        ]
        versions.append(
            {
                "id": version.id,
                "commit": version.commit,
                "files": files,
                "modules": modules,
            }
        )
    return versions


def build(mirror: Path, settings: Settings) -> dict:
    """Return the data of ``boilerplate.json`` computed from ``mirror``."""
    versions = original_versions(mirror, settings)
    union: set[int] = set()
    records = []
    for version in versions:
        hashes = code_prints.template_hashes(version["modules"], settings.k)
        union |= hashes
        records.append(
            {
                "id": version["id"],
                "commit": version["commit"],
                "files": version["files"],
                "kgrams": len(hashes),
            }
        )
    return {
        "schema": 1,
        "about": "k-gram hashes of the original course's lab modules at each "
        "template version (fingerprints only, no code); see boilerplate.py",
        "generated_at": dt.date.today().isoformat(),
        "k": settings.k,
        "hash": code_prints.HASH_NAME,
        "filter": FILTER,
        "code": list(settings.code),
        "versions": records,
        "count": len(union),
        "hashes": encode(union),
    }


def main(argv: list[str] | None = None) -> int:
    """Write ``data/boilerplate.json`` from a mirror of the original course."""
    parser = argparse.ArgumentParser(
        prog="python -m grading.private.similarity.boilerplate",
        description="Store the k-gram hashes (never the code) of the lab's modules "
        "at every original-course version of grading/versions/templates.toml.",
    )
    parser.add_argument(
        "--mirror",
        type=Path,
        default=DEFAULT_MIRROR,
        help="clone or bare mirror of the original course",
    )
    parser.add_argument("--lab", default=default_lab())
    parser.add_argument("--out", type=Path, help="default: data/<lab>.boilerplate.json")
    args = parser.parse_args(argv)
    from grading.pipeline.rubric import load_rubric

    rubric = load_rubric(args.lab)
    settings = from_rubric(rubric)
    if not args.mirror.exists():
        print(f"error: {args.mirror} does not exist; give --mirror", file=sys.stderr)
        return 2
    data = build(args.mirror, settings)
    out = args.out or boilerplate_file(rubric.lab)
    write_json(out, data)
    print(f"{out}: {data['count']} hashes of {len(data['versions'])} versions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
