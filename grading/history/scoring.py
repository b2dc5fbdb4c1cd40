"""Turn history findings into points with the rule written in the rubric.

The rule (``[history]`` of ``grading/labs/<lab>.toml``): the item starts at
its full points; each finding code costs ``deduct[code]`` points per
occurrence, at most ``cap[code]`` points for that code; the result is
clipped at zero. Nothing about the amounts lives in code.
"""

from __future__ import annotations

from collections import Counter


def apply_rule(codes: list[str], cfg: dict, max_points: float) -> dict:
    """Apply the rubric's deduction rule to a list of finding codes.

    Parameters
    ----------
    codes : list of str
        One entry per occurrence (per commit or per group of paths).
    cfg : dict
        The ``[history]`` section with ``deduct`` and ``cap`` tables.
    max_points : float
        Points of the history item.

    Returns
    -------
    dict
        ``{"points", "max_points", "fraction", "deductions": [{"code",
        "count", "each", "cap", "points"}]}``; codes the rule does not
        price are listed with zero cost.
    """
    deduct = cfg.get("deduct", {})
    cap = cfg.get("cap", {})
    deductions = []
    lost = 0.0
    for code, count in sorted(Counter(codes).items()):
        each = float(deduct.get(code, 0.0))
        limit = float(cap.get(code, max_points))
        points = round(min(limit, each * count), 4)
        lost += points
        deductions.append(
            {"code": code, "count": count, "each": each, "cap": limit, "points": points}
        )
    points = round(max(0.0, max_points - lost), 2)
    return {
        "points": points,
        "max_points": float(max_points),
        "fraction": points / max_points if max_points else 0.0,
        "deductions": deductions,
    }


def explain(result: dict) -> str:
    """Return one line per deduction, e.g. ``generic_message: 3 x 0.25 = 0.75``."""
    lines = []
    for d in result["deductions"]:
        if not d["points"]:
            continue
        capped = " (capped)" if d["points"] < d["each"] * d["count"] else ""
        lines.append(
            f"-{d['points']:g} {d['code']}: {d['count']} x {d['each']:g}{capped}"
        )
    return "; ".join(lines) if lines else "no deductions"
