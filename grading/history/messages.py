"""Message rules: read each commit message the way a careful reader does.

The rules read the message after :func:`grading.util.text.normalize` (NFKC,
invisible format characters removed), and only its first
``Limits.message_chars`` characters, so ``Up\\u200bdate`` is the generic
``Update`` and a 10 MB subject costs no more than a short one. Invisible
characters are a finding of their own. The convention (area, capital letter,
tense, length) comes from the rubric per template version
(:class:`grading.history.config.Convention`); the generic words and
patterns are shared by every convention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grading.history.config import Convention
from grading.history.gitdata import Commit
from grading.history.report import Issue, normalized, quote

REWORD_HINT = (
    "Reword it: for the latest commit `git commit --amend`; for an older one "
    "`git rebase -i {sha}^`, change `pick` to `reword` on its line, save, "
    "write the new message, then `git push --force-with-lease`."
)
_FIRST_WORD = re.compile(r"[\s:,]+")
_MORE_AREAS = re.compile(r"^(?:[\w./-]+: )+(?=\S)")


def _norm(text: str) -> str:
    """Lower-case ``text`` and drop surrounding punctuation and spaces."""
    return text.strip().strip(".!?,;:-_ ").lower()


@dataclass(frozen=True)
class Vocabulary:
    """The shared word lists of ``[history]``, compiled once per config."""

    generic: frozenset[str]
    subject_patterns: tuple[re.Pattern[str], ...]
    summary_patterns: tuple[re.Pattern[str], ...]
    min_summary_words: int
    unreadable_chars: int


def vocabulary(cfg: dict) -> Vocabulary:
    """Return the compiled word lists of ``cfg`` (cached in the dict)."""
    cached = cfg.get("_vocabulary")
    if cached is None:
        cached = Vocabulary(
            generic=frozenset(_norm(g) for g in cfg.get("generic", [])),
            subject_patterns=tuple(
                re.compile(p, re.I) for p in cfg.get("generic_patterns", [])
            ),
            summary_patterns=tuple(
                re.compile(p, re.I) for p in cfg.get("generic_summary_patterns", [])
            ),
            min_summary_words=int(cfg.get("min_summary_words", 1)),
            unreadable_chars=int(cfg.get("unreadable_subject_chars", 1000)),
        )
        cfg["_vocabulary"] = cached
    return cached


def message_issues(
    commit: Commit, cfg: dict, conv: Convention, chars: int = 4096
) -> list[Issue]:
    """Check one commit message against the convention and the word lists.

    Parameters
    ----------
    commit : Commit
        A non-merge commit of the student.
    cfg : dict
        The ``[history]`` section (from :func:`grading.history.load_config`).
    conv : Convention
        The convention of the student's template version.
    chars : int
        Characters of the message the rules read.

    Returns
    -------
    list of Issue
        One per broken rule. An empty, generic or unreadable subject is
        reported alone (the form rules add nothing then); invisible
        characters are reported besides.
    """
    # The rules read the subject and the line after it, nothing more.
    read = [normalized(line) for line in commit.message[:chars].split("\n", 2)[:2]]
    lines = [r.text for r in read]
    raw_length = len(commit.subject)
    length = raw_length if raw_length > chars else len(lines[0].strip())
    hidden = tuple(dict.fromkeys(n for r in read for n in r.invisible))
    issues = _invisible(commit, hidden)
    issues += _subject_issues(lines[0].strip(), length, lines, cfg, conv, commit)
    reword = REWORD_HINT.format(sha=commit.sha[:8])
    for issue in issues:
        issue.how = issue.hint
        issue.hint = f"{issue.hint} {reword}"
    return issues


def _invisible(commit: Commit, names: tuple[str, ...]) -> list[Issue]:
    if not names:
        return []
    listed = ", ".join(names[:5]) + (" and more" if len(names) > 5 else "")
    return [
        Issue(
            "invisible_characters",
            f"The subject of {commit.sha[:8]} holds invisible characters ({listed}); "
            f"shown escaped: {quote(commit.subject)}. They change how the "
            "subject reads without being seen, and the rules read it without them.",
            "Type the message again without them (they come from pasted text).",
        )
    ]


def generic_reason(subject: str, summary: str, length: int, cfg: dict) -> str:
    """Return why ``subject`` says nothing (``""`` when it says something).

    Parameters
    ----------
    subject : str
        The normalised subject line.
    summary : str
        The part after the area (the subject itself when there is no area).
    length : int
        Characters of the whole subject as committed.
    cfg : dict
        The ``[history]`` section.
    """
    words = vocabulary(cfg)
    if length > words.unreadable_chars:
        return (
            f"has {length:,} characters: nobody reads that as a subject line "
            f"(more than {words.unreadable_chars:,})"
        )
    if _norm(subject) in words.generic or _norm(summary) in words.generic:
        return "does not say what changed"
    if any(p.fullmatch(subject) for p in words.subject_patterns):
        return (
            "is a default message of GitHub's web editor: it does not say what changed"
        )
    if any(p.fullmatch(summary.strip()) for p in words.summary_patterns):
        return "does not say what changed"
    if len(summary.split()) < words.min_summary_words:
        return "is a single word: it names a topic, not what changed"
    return ""


def _subject_issues(
    subject: str,
    length: int,
    lines: list[str],
    cfg: dict,
    conv: Convention,
    commit: Commit,
) -> list[Issue]:
    quoted = quote(commit.subject)
    if not subject:
        return [
            Issue(
                "empty_subject",
                "The commit has no subject line.",
                f"Say what the commit does, e.g. `{conv.example}`.",
            )
        ]
    m = conv.pattern.match(subject)
    summary = m.group("summary") if m else subject
    why = generic_reason(subject, summary, length, cfg)
    if why:
        return [
            Issue(
                "generic_message",
                f"The subject {quoted} {why}.",
                f"Name the change, e.g. `{conv.example}`.",
            )
        ]
    issues = []
    if length > conv.subject_max:
        issues.append(
            Issue(
                "subject_too_long",
                f"The subject has {length} characters (at most {conv.subject_max}).",
                "Keep the subject short and move details to the body, after a "
                "blank line.",
            )
        )
    issues += _form_issues(subject, summary, m is not None, conv, quoted)
    if len(lines) > 1 and lines[1].strip():
        issues.append(
            Issue(
                "no_blank_line",
                "The body starts right on the second line.",
                "Leave the second line empty so that tools show the subject alone.",
            )
        )
    return issues


def _form_issues(
    subject: str, summary: str, matched: bool, conv: Convention, quoted: str
) -> list[Issue]:
    """Area, capital letter, tense and period, as the convention asks."""
    issues = []
    inner = _MORE_AREAS.sub("", summary) if conv.single_area else summary
    if not matched:
        issues.append(
            Issue(
                "convention",
                f"The subject {quoted} does not follow the convention: "
                f"{conv.description}.",
                f"Start with the area the change touches, e.g. `{conv.example}`.",
            )
        )
    elif inner != summary:
        issues.append(
            Issue(
                "convention",
                f"The subject {quoted} has more than one area; the convention "
                f"has one: {conv.description}.",
                f"E.g. `{conv.example}`.",
            )
        )
    elif conv.capitalized and summary[:1].islower():
        issues.append(
            Issue(
                "convention",
                "The summary after the area should start with a capital letter: "
                f"{quoted}.",
                f"E.g. `{conv.example}`.",
            )
        )
    first = _FIRST_WORD.split(inner.strip(), maxsplit=1)[0] if inner.strip() else ""
    if _norm(first) in conv.tense_words:
        issues.append(
            Issue(
                "not_imperative",
                f"The subject starts with {quote(first)}; {conv.tense_hint}",
                f"E.g. `{conv.example}`.",
            )
        )
    if subject.endswith("."):
        issues.append(
            Issue(
                "trailing_period",
                "The subject ends with a period.",
                "Drop the period at the end of the subject.",
            )
        )
    return issues
