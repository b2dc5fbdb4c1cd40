"""Find the answers to the lab's questions, in English or Polish.

A question is located by its *anchor*: a heading, a bold line, a line that
ends with a question mark, or a ``Q2``/``Pytanie 2`` label. Anchors score one
point per keyword group of the question they match (the groups are lab data
in the rubric), three for a matching question number, one for sitting in a
questions section and one for ending with a question mark (so "Best method?"
is enough). Each question takes the best anchor left with at least 2 points.
The answer is the text up to the next anchor or the next heading of the same
level. Wording is never judged here: the passage is evidence for the person
who grades it.
"""

from __future__ import annotations

import re

from grading.summary.markdown import Block
from grading.summary.result import Answer
from grading.util.text import cap

_NUMBERED = re.compile(
    r"(?:^|\b)(?:q|question|pytanie|pyt\.?|zadanie|task)\s*#?\s*(\d)\b", re.IGNORECASE
)
_LEADING = re.compile(r"^\s*\(?(\d)[.):]\s")
_SECTION = re.compile(
    r"question|pytani|odpowied|answer|wnioski|conclusion|discussion|dyskusj",
    re.IGNORECASE,
)
MAX_EXCERPT = 1500
#: Longest heading kept, in characters.
MAX_HEADING = 300


def _is_anchor(block: Block, in_section: bool) -> bool:
    if block.kind == "heading":
        return True
    if block.kind != "text" or not block.text:
        return False
    first = block.text.split("\n", 1)[0].strip()
    return (
        block.bold
        or first.endswith("?")
        or bool(_NUMBERED.match(first))
        or (in_section and bool(_LEADING.match(first)) and len(first) < 300)
    )


def _score(text: str, number: int, question: dict, in_section: bool) -> int:
    low = text.lower()
    points = sum(
        1
        for group in question.get("keywords", [])
        if any(word in low for word in group)
    )
    match = _NUMBERED.search(text)
    if match is None and in_section:
        match = _LEADING.match(text)
    if match is not None:
        points = points + 3 if int(match.group(1)) == number else points - 2
    if points > 0:
        points += (1 if in_section else 0) + (
            1 if text.rstrip(" *_").endswith("?") else 0
        )
    return points


def _block_text(block: Block) -> str:
    if block.kind == "table":
        return "\n".join(" | ".join(row) for row in block.rows)
    return block.text


def find(
    blocks: list[Block], questions: list[dict], min_words: int = 12
) -> dict[str, Answer]:
    """Locate the answer of each question.

    Parameters
    ----------
    blocks : list of Block
        The parsed summary.
    questions : list of dict
        ``[summary.questions]`` of the rubric: ``id``, ``keywords`` (list of
        lists of lowercase stems), ``topic``.
    min_words : int
        Answers shorter than this are reported as short.

    Returns
    -------
    dict of str to Answer
        The answer of each question id (``found`` False when none).
    """
    anchors: list[tuple[int, bool]] = []  # (block index, in questions section)
    section_level = 0
    in_section = False
    for index, block in enumerate(blocks):
        if block.kind == "heading":
            if in_section and block.level <= section_level:
                in_section = False
            if (
                not in_section
                and _SECTION.search(block.text)
                and len(block.text) < 40
                and not _NUMBERED.search(block.text)  # "Pytanie 3: ..." asks
            ):
                in_section, section_level = True, block.level
                continue
        if _is_anchor(block, in_section):
            anchors.append((index, in_section))
    scored = []
    for a, (index, section) in enumerate(anchors):
        head = blocks[index].text.split("\n", 1)[0]
        for number, question in enumerate(questions, start=1):
            points = _score(head, number, question, section)
            if points >= 2:
                scored.append((points, -a, number - 1, a))
    scored.sort(reverse=True)
    chosen: dict[int, int] = {}
    used: set[int] = set()
    for _, _, q, a in scored:
        if q in chosen or a in used:
            continue
        chosen[q] = a
        used.add(a)
    _by_position(blocks, anchors, questions, chosen, used)
    result = {}
    for q, question in enumerate(questions):
        qid = question["id"]
        if q not in chosen:
            result[qid] = Answer()
            continue
        result[qid] = _answer(blocks, anchors, chosen[q], used, min_words)
    return result


def _answer(blocks, anchors, a: int, used: set[int], min_words: int) -> Answer:
    """The passage under anchor ``a``, up to the next anchor or heading."""
    index = anchors[a][0]
    anchor = blocks[index]
    head, _, rest = anchor.text.partition("\n")
    if anchor.kind == "text" and not rest and "?" in head:
        before, _, after = head.partition("?")
        if len(after.strip()) > 20:
            head, rest = before + "?", after
    stops = {anchors[b][0] for b in used if b != a}
    parts = [rest.strip()] if rest.strip() else []
    length = sum(len(p) for p in parts)
    for position in range(index + 1, len(blocks)):
        block = blocks[position]
        if block.kind == "heading" and (
            anchor.kind != "heading" or block.level <= anchor.level
        ):
            break
        if position in stops or length > MAX_EXCERPT:
            break
        text = _block_text(block).strip()
        if text:
            parts.append(text[: MAX_EXCERPT + 1])
            length += len(parts[-1])
    excerpt = "\n\n".join(parts)
    if len(excerpt) > MAX_EXCERPT:
        excerpt = excerpt[:MAX_EXCERPT].rstrip() + " …"
    words = len(re.findall(r"\w+", excerpt))
    return Answer(
        found=True,
        heading=cap(head.strip().strip("*_ ").strip(), MAX_HEADING),
        excerpt=excerpt,
        words=words,
        line=anchor.line,
        short=words < min_words,
    )


def _by_position(blocks, anchors, questions, chosen, used) -> None:
    """Give unmatched questions the remaining anchors of a questions section
    when that section has exactly one anchor per question, in order."""
    if len(chosen) == len(questions):
        return
    in_section = [a for a, (_, section) in enumerate(anchors) if section]
    if not in_section:
        return
    level = min(blocks[anchors[a][0]].level or 9 for a in in_section)
    top = [a for a in in_section if (blocks[anchors[a][0]].level or 9) == level]
    if len(top) != len(questions):
        return
    for q, a in enumerate(top):
        if q not in chosen and a not in used:
            chosen[q] = a
            used.add(a)
