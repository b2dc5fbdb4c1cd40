"""Find the summary of a lab in a submission and read it safely.

The summary lives in ``summaries/<lab>/`` under any file name. When several
files could be the summary, the most readable format wins (Markdown, then a
notebook, then plain text, then PDF) and the others are reported. Files are
read only inside the submission, never through a symbolic link that leaves
it, and never beyond a size cap.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

FORMATS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".ipynb": "notebook",
    ".txt": "text",
    ".rst": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".gif": "image",
    ".webp": "image",
    ".svg": "image",
    ".docx": "document",
    ".doc": "document",
    ".odt": "document",
    ".rtf": "document",
    ".tex": "text",
}
RANK = {
    "markdown": 0,
    "notebook": 1,
    "html": 2,
    "text": 3,
    "pdf": 4,
    "document": 5,
    "image": 6,
    "unknown": 7,
}
PREFERRED_NAMES = (
    "summary",
    "podsumowanie",
    "readme",
    "report",
    "raport",
    "sprawozdanie",
    "wnioski",
)
_ENCODINGS = ("utf-8-sig", "cp1250", "iso-8859-2")


@dataclass
class Located:
    """Where the summary is.

    Parameters
    ----------
    root : Path
        Repository root (nothing outside it is read).
    path : Path or None
        The chosen summary file.
    format : str
        ``markdown``, ``notebook``, ``text``, ``html``, ``pdf``, ``document``,
        ``image`` or ``none``.
    candidates : list of str
        Every candidate file, relative to ``root``, best first.
    problems : list of (code, message)
        What went wrong while locating (no folder, link outside, ...).
    """

    root: Path
    path: Path | None = None
    format: str = "none"
    candidates: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def rel(self) -> str | None:
        """The summary path relative to the root, POSIX style."""
        if self.path is None:
            return None
        try:
            return self.path.relative_to(self.root).as_posix()
        except ValueError:
            return self.path.name


def inside(path: Path, root: Path) -> bool:
    """Whether ``path`` (symbolic links resolved) stays inside ``root``."""
    try:
        Path(os.path.realpath(path)).relative_to(Path(os.path.realpath(root)))
    except ValueError:
        return False
    return True


def format_of(path: Path) -> str:
    """Return the format name of a file from its suffix."""
    return FORMATS.get(path.suffix.lower(), "unknown")


def _git_root(path: Path) -> Path | None:
    for parent in [path, *path.parents]:
        if (parent / ".git").exists():
            return parent
    return None


def _rank(path: Path) -> tuple:
    name = path.stem.lower()
    preferred = any(word in name for word in PREFERRED_NAMES)
    readme = name == "readme"
    return (RANK[format_of(path)], readme, not preferred, path.name.lower())


def locate(path: Path, summary_dir: str) -> Located:
    """Find the summary for ``path``.

    Parameters
    ----------
    path : Path
        A submission directory, or a summary file.
    summary_dir : str
        Folder of the lab's summary relative to the submission root.

    Returns
    -------
    Located
        The chosen file (or None) and what was seen on the way.
    """
    path = Path(os.path.abspath(path))
    if path.is_file() or (path.is_symlink() and not path.is_dir()):
        root = _git_root(path.parent) or path.parent
        located = Located(
            root=root, path=path, format=format_of(path), candidates=[path.name]
        )
        if not inside(path, root):
            located.problems.append(
                (
                    "outside",
                    f"{path.name} is a link that leaves "
                    "the repository; it was not read",
                )
            )
            located.path, located.format = None, "none"
        return located
    root = path
    folder = root / summary_dir
    if not folder.is_dir() and path.name.lower() == Path(summary_dir).name.lower():
        # PATH is the summary folder itself
        folder = path
        root = _git_root(path) or path.parents[len(Path(summary_dir).parts) - 1]
    located = Located(root=root)
    if not folder.is_dir():
        alternative = _near_miss(root, summary_dir)
        if alternative is None:
            located.problems.append(("no_folder", f"there is no folder {summary_dir}/"))
            return located
        located.problems.append(
            (
                "folder_name",
                f"the summary folder should be "
                f"{summary_dir}/, found {alternative.relative_to(root)}/",
            )
        )
        folder = alternative
    if not inside(folder, root):
        located.problems.append(
            (
                "outside",
                f"{summary_dir}/ is a link that leaves the repository; it was not read",
            )
        )
        return located
    files = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        located.problems.append(("unreadable", f"cannot list {summary_dir}/: {exc}"))
        return located
    for entry in entries[:500]:
        candidate = Path(entry.path)
        if entry.name.startswith(".") or not entry.is_file(follow_symlinks=True):
            continue
        if not inside(candidate, root):
            located.problems.append(
                (
                    "outside",
                    f"{entry.name} is a link that leaves "
                    "the repository; it was not read",
                )
            )
            continue
        files.append(candidate)
    files.sort(key=_rank)
    located.candidates = [f.relative_to(root).as_posix() for f in files]
    if not files:
        located.problems.append(
            ("empty_folder", f"{summary_dir}/ holds no summary file")
        )
        return located
    located.path = files[0]
    located.format = format_of(files[0])
    return located


def _near_miss(root: Path, summary_dir: str) -> Path | None:
    """Find ``summary_dir`` spelled with another letter case or a short name."""
    parts = Path(summary_dir).parts
    current = root
    for part in parts:
        try:
            names = [e.name for e in os.scandir(current) if e.is_dir()]
        except OSError:
            return None
        match = [n for n in names if n.lower() == part.lower()]
        if not match and part == parts[-1]:
            short = part.split("_", 1)[0].lower()
            match = [n for n in names if n.lower().startswith(short)]
        if not match:
            return None
        current = current / match[0]
    return current


def read_bytes(path: Path, cap: int) -> tuple[bytes, bool]:
    """Read at most ``cap`` bytes; return them and whether the file is larger."""
    with path.open("rb") as handle:
        data = handle.read(cap + 1)
    return data[:cap], len(data) > cap


def decode(data: bytes) -> tuple[str, str]:
    """Decode text; return it with the encoding used (UTF-8 first, then Polish ones)."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for encoding in _ENCODINGS[1:]:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace"), "utf-8 (invalid bytes replaced)"


def looks_binary(data: bytes) -> bool:
    """Whether ``data`` looks like a binary file rather than text."""
    head = data[:8192]
    if b"\x00" in head:
        return True
    if not head:
        return False
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return control / len(head) > 0.1
