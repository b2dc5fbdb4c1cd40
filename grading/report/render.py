"""Render one submission's reports: ``report.html``, ``report.md`` and the
instructor's ``report-instructor.html``.

The view models come from :mod:`grading.report.views`; the templates in
``grading/report/templates`` only loop and format. HTML is autoescaped; the
Markdown environment escapes every printed value for GitHub-flavoured
Markdown, and code excerpts go into fences longer than any backtick run they
contain, so text from a submission can neither run script nor break layout.
"""

from __future__ import annotations

import copy
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from grading.report.format import shorten, text
from grading.report.views import submission_view
from grading.util.io import write_atomic

#: GitHub's limit for one step summary is 1 MiB; keep a margin below it.
MARKDOWN_LIMIT = 1024 * 1024 - 16 * 1024

REPORT_FILES = {
    "html": "report.html",
    "markdown": "report.md",
    "instructor_html": "report-instructor.html",
}

# ASCII punctuation that means something in GitHub Markdown or HTML.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-!|~&])")


def md_escape(value: Any) -> Any:
    """Escape a value for GitHub Markdown unless it is already :class:`Markup`.

    Every Markdown/HTML punctuation character gets a backslash (which GitHub
    hides when rendering), and newlines become ``<br>`` so a value never
    starts a new block (heading, list, table row).
    """
    if isinstance(value, Markup):
        return value
    if value is None:
        return ""
    escaped = _MD_SPECIAL.sub(r"\\\1", str(value))
    return Markup("<br>".join(line.rstrip() for line in escaped.splitlines()))


def md_fence(value: Any, info: str = "text") -> Markup:
    """Return ``value`` as a fenced code block that its content cannot close."""
    body = str(value or "").replace("\r\n", "\n").rstrip("\n")
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return Markup(f"{fence}{info}\n{body}\n{fence}")


def md_quote(value: Any) -> Markup:
    """Return escaped ``value`` as a Markdown block quote (one ``>`` per line)."""
    lines = str(value or "").splitlines() or [""]
    return Markup("\n".join("> " + str(md_escape(line)) for line in lines))


@lru_cache(maxsize=2)
def environment(kind: str) -> Environment:
    """Return the Jinja environment for ``"html"`` or ``"markdown"`` templates."""
    loader = PackageLoader("grading.report", "templates")
    if kind == "html":
        env = Environment(
            loader=loader,
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
    else:
        env = Environment(
            loader=loader,
            autoescape=False,
            finalize=md_escape,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["fence"] = md_fence
        env.filters["quote"] = md_quote
    return env


def render_template(name: str, **context: Any) -> str:
    """Render ``templates/<name>`` with ``context``."""
    kind = "markdown" if name.endswith(".md.j2") else "html"
    return environment(kind).get_template(name).render(**context)


def _links_base() -> str:
    """Return the blob URL of the graded commit when running in GitHub Actions."""
    server = os.environ.get("GITHUB_SERVER_URL", "")
    repo = os.environ.get("GITHUB_REPOSITORY", "")
    sha = os.environ.get("GITHUB_SHA", "")
    if server.startswith("https://") and repo and sha:
        return f"{server}/{repo}/blob/{sha}"
    return ""


# Shortening steps for report.md: (evidence chars, passage chars, show passed
# findings, show notes). Tried in order until the text fits.
_MD_LEVELS = (
    (4000, 4000, True, True),
    (1500, 1500, False, True),
    (400, 600, False, False),
    (0, 200, False, False),
)


def _shorten_view(view: dict[str, Any], level: int) -> dict[str, Any]:
    evidence_limit, passage_limit, show_passed, show_notes = _MD_LEVELS[level]
    view = copy.deepcopy(view)
    for section in view["sections"]:
        for item in section["members"]:
            limit = passage_limit if section["key"] == "review" else evidence_limit
            for finding in item["findings"]:
                finding["images"] = []
                short, cut = shorten(finding["evidence"], limit)
                finding["evidence"] = short
                if cut:
                    finding["evidence_note"] = (
                        f"{cut} more characters are in report.html"
                    )
            if not show_passed:
                item["passed_findings"] = []
    if not show_notes:
        view["other"] = []
    view["md_shortened"] = level > 0
    return view


def render_markdown(view: dict[str, Any], limit: int = MARKDOWN_LIMIT) -> str:
    """Render ``report.md`` from a student view, shortened to ``limit`` bytes.

    The most useful feedback comes first (score, items to fix with hints,
    items awaiting review, passed items). If the text is too long, evidence is
    cut, passed findings and notes are dropped, and as a last resort the text
    is cut at a line end; each step adds a note pointing to ``report.html``.
    """
    rendered = ""
    for level in range(len(_MD_LEVELS)):
        rendered = render_template("report.md.j2", **_shorten_view(view, level))
        if len(rendered.encode("utf-8")) <= limit:
            return rendered
    note = (
        "\n\n**The rest of this report was cut to fit the GitHub summary limit. "
        "Download report.html from the run's artifacts for everything.**\n"
    )
    budget = limit - len(note.encode("utf-8"))
    raw = rendered.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    cut = raw.rfind("\n")
    raw = raw[: cut if cut > 0 else len(raw)]
    # An unclosed fence would swallow the note: close it.
    fences = re.findall(r"^(`{3,})", raw, flags=re.MULTILINE)
    if len(fences) % 2:
        raw += "\n" + fences[-1]
    return raw + note


def render_reports(
    results: dict[str, Any],
    out_dir: Path | None = None,
    links_base: str | None = None,
) -> dict[str, str]:
    """Render the three reports of one submission into strings.

    Parameters
    ----------
    results : dict
        Content of ``results.json``.
    out_dir : Path, optional
        Folder of the reports; images may also be embedded from it.
    links_base : str, optional
        URL prefix for README links; read from the GitHub Actions environment
        when omitted.

    Returns
    -------
    dict
        ``{"report.html": ..., "report.md": ..., "report-instructor.html": ...}``.
    """
    if links_base is None:
        links_base = _links_base()
    roots: list[Path] = []
    submission = text(results.get("submission")) if isinstance(results, dict) else ""
    if submission:
        roots.append(Path(submission))
    if out_dir is not None:
        roots.append(Path(out_dir))
    student = submission_view(results, "student", roots, links_base)
    instructor = submission_view(results, "instructor", roots, links_base)
    return {
        REPORT_FILES["html"]: render_template("report.html.j2", **student),
        REPORT_FILES["markdown"]: render_markdown(student),
        REPORT_FILES["instructor_html"]: render_template(
            "report.html.j2", **instructor
        ),
    }


def render_submission(results: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write ``report.html``, ``report.md`` and ``report-instructor.html``.

    ``report.html`` and ``report.md`` are the student view (no instructor-only
    findings, hidden test ids, reference code or rubric weights);
    ``report-instructor.html`` adds plausibility warnings, protected-file
    findings, check ids, finding data and raw check details. Each file is
    written atomically.

    Parameters
    ----------
    results : dict
        Content of ``results.json`` (see docs/ARCHITECTURE.md).
    out_dir : Path
        Folder to write into; created when missing.

    Returns
    -------
    dict
        ``{"html": Path, "markdown": Path, "instructor_html": Path}``.
    """
    out_dir = Path(out_dir)
    rendered = render_reports(results, out_dir)
    written = {}
    for key, name in REPORT_FILES.items():
        written[key] = write_atomic(out_dir / name, rendered[name])
    return written
