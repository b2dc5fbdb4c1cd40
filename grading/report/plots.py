"""Plots for the class overview, drawn as inline SVG (no JavaScript, no files).

SVG keeps ``index.html`` one self-contained file that stays sharp at any
zoom, and needs no plotting library at grading time. Every label is escaped.
"""

from __future__ import annotations

import math
import statistics

from markupsafe import Markup, escape

from grading.report.format import fmt_points

WIDTH, HEIGHT = 900, 280
LEFT, RIGHT, TOP, BOTTOM = 44, 14, 40, 44


def histogram_bins(scores: list[float], max_score: float) -> list[dict]:
    """Count scores into bins from 0 to ``max_score``.

    Bins are one point wide up to 30 points, otherwise 20 equal bins. The last
    bin includes ``max_score``; scores outside ``[0, max_score]`` are clipped.

    Returns
    -------
    list of dict
        ``{"low", "high", "count"}`` per bin, in order.
    """
    top = max_score if max_score > 0 else max(max(scores, default=0.0), 1.0)
    width = 1.0 if top <= 30 else top / 20
    count = max(1, math.ceil(top / width - 1e-9))
    bins = [
        {"low": i * width, "high": min(top, (i + 1) * width), "count": 0}
        for i in range(count)
    ]
    for score in scores:
        index = int(min(max(score, 0.0), top) // width)
        bins[min(index, count - 1)]["count"] += 1
    return bins


def histogram_svg(scores: list[float], max_score: float) -> Markup:
    """Return an SVG histogram of ``scores`` with mean and median marked.

    Parameters
    ----------
    scores : list of float
        Total scores of the graded submissions.
    max_score : float
        Highest possible score (the x axis ends there).

    Returns
    -------
    Markup
        ``<svg>`` element, safe to insert into an autoescaped template.
    """
    bins = histogram_bins(scores, max_score)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    tallest = max((b["count"] for b in bins), default=0) or 1
    step = max(1, math.ceil(tallest / 5))
    y_top = step * math.ceil(tallest / step)
    x_max = bins[-1]["high"]

    def x(value: float) -> float:
        return LEFT + plot_w * value / x_max

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / y_top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        'role="img" aria-labelledby="hist-title" font-family="system-ui, sans-serif" '
        'font-size="12">',
        f'<title id="hist-title">Distribution of {len(scores)} total scores '
        f"out of {escape(fmt_points(max_score))} points</title>",
    ]
    for tick in range(0, y_top + 1, step):
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" '
            f'y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            'stroke="#e3e8ee"/>'
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" '
            f'fill="#59636e">{tick}</text>'
        )
    for b in bins:
        x0, x1 = x(b["low"]) + 1, x(b["high"]) - 1
        top = y(b["count"])
        label = (
            f"{b['count']} submission{'s' if b['count'] != 1 else ''} with "
            f"{fmt_points(b['low'])} to {fmt_points(b['high'])} points"
        )
        parts.append(
            f'<rect x="{x0:.1f}" y="{top:.1f}" width="{max(0.5, x1 - x0):.1f}" '
            f'height="{y(0) - top:.1f}" fill="#2f5bd3" rx="2"><title>{escape(label)}'
            "</title></rect>"
        )
        if b["count"]:
            parts.append(
                f'<text x="{(x0 + x1) / 2:.1f}" y="{top - 4:.1f}" text-anchor="middle" '
                f'fill="#1f2328" font-size="11">{b["count"]}</text>'
            )
    label_every = max(1, math.ceil(len(bins) / 12))
    for i, b in enumerate(bins + [None]):
        if i % label_every and b is not None:
            continue
        edge = b["low"] if b is not None else x_max
        parts.append(
            f'<text x="{x(edge):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'fill="#59636e">{escape(fmt_points(edge))}</text>'
        )
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
        'stroke="#8c959f"/>'
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle" '
        'fill="#59636e">total points</text>'
    )
    if scores:
        mean = statistics.fmean(scores)
        median = statistics.median(scores)
        legend_x = LEFT
        for value, name, colour in (
            (mean, "mean", "#c4212c"),
            (median, "median", "#1a7f37"),
        ):
            xv = x(min(max(value, 0.0), x_max))
            parts.append(
                f'<line x1="{xv:.1f}" x2="{xv:.1f}" y1="{TOP - 4}" y2="{y(0):.1f}" '
                f'stroke="{colour}" stroke-width="2" stroke-dasharray="6 4"/>'
                f'<line x1="{legend_x}" x2="{legend_x + 24}" y1="14" y2="14" '
                f'stroke="{colour}" stroke-width="2" stroke-dasharray="6 4"/>'
                f'<text x="{legend_x + 30}" y="18" fill="{colour}" font-weight="600">'
                f"{name} {escape(fmt_points(value))}</text>"
            )
            legend_x += 150
    parts.append("</svg>")
    return Markup("".join(parts))
