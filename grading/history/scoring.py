"""Turn history findings into points with the rule written in the rubric.

The rule (``[history]`` of ``grading/labs/<lab>.toml``): the item starts at
its full points. Each finding code costs ``deduct[code]`` points per
occurrence, at most ``cap[code]`` for that code; a code listed in
``[history.share]`` costs at least ``share[code]`` times the share of the
student's commits that have it (so a history whose every message says
nothing loses almost everything, while one vague message among many costs
little). The result is clipped at zero. Nothing about the amounts lives in
code.
"""

from __future__ import annotations

from collections import Counter

from grading.history.report import Deduction


def apply_rule(
    codes: list[str], cfg: dict, max_points: float, commits: int = 0
) -> tuple[float, list[Deduction]]:
    """Apply the rubric's deduction rule to a list of finding codes.

    Parameters
    ----------
    codes : list of str
        One entry per occurrence (per commit or per group of paths).
    cfg : dict
        The ``[history]`` section with ``deduct``, ``cap`` and ``share``.
    max_points : float
        Points of the history item.
    commits : int
        The student's commits that the message and shape rules read (the
        denominator of the shares; 0 disables them).

    Returns
    -------
    tuple
        ``(points, deductions)``; codes the rule does not price are listed
        with zero cost.
    """
    deduct = cfg.get("deduct", {})
    cap = cfg.get("cap", {})
    share = cfg.get("share", {})
    deductions = []
    lost = 0.0
    for code, count in sorted(Counter(codes).items()):
        each = float(deduct.get(code, 0.0))
        limit = float(cap.get(code, max_points))
        at_full = float(share.get(code, 0.0))
        part = min(1.0, count / commits) if commits else 0.0
        points = round(max(min(limit, each * count), at_full * part), 4)
        lost += points
        deductions.append(Deduction(code, count, each, limit, at_full, points))
    return round(max(0.0, max_points - lost), 2), deductions


def explain(deductions: list[Deduction]) -> str:
    """Return one line per deduction, e.g. ``-0.75 generic_message: 3 x 0.25``."""
    lines = []
    for d in deductions:
        if not d.points:
            continue
        if d.share and d.points > min(d.cap, d.each * d.count):
            how = f"{d.count} commit(s), share x {d.share:g}"
        else:
            capped = " (capped)" if d.points < d.each * d.count else ""
            how = f"{d.count} x {d.each:g}{capped}"
        lines.append(f"-{d.points:g} {d.code}: {how}")
    return "; ".join(lines) if lines else "no deductions"
