"""Charts as inline SVG drawn on the server: no script, no CDN, printable, readable by a screen
reader (each chart has a ``<title>``, each bar or point its own ``<title>``; the page prints the
same numbers in a table beside it).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR_HEIGHT = 22
LABEL_WIDTH = 190
BAR_WIDTH = 320


def bar_chart(title: str, items: Sequence[tuple[str, int]], chart_id: str) -> Markup:
    """Horizontal bars, one per ``(label, value)``, longest for the largest value."""
    top = max((value for _, value in items), default=0) or 1
    height = BAR_HEIGHT * max(1, len(items)) + 4
    width = LABEL_WIDTH + BAR_WIDTH + 60
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="{escape(chart_id)}-title">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for row, (label, value) in enumerate(items):
        y = row * BAR_HEIGHT + 2
        length = round(BAR_WIDTH * value / top)
        parts.append(
            f"<g><title>{escape(label)}: {value}</title>"
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{escape(_short(label))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length}" height="{BAR_HEIGHT - 6}" '
            f'fill="#2b6cb0"></rect>'
            f'<text x="{LABEL_WIDTH + length + 4}" y="{y + 15}" font-size="12">{value}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def time_series(
    title: str, points: Sequence[tuple[str, int, int]], chart_id: str, names: tuple[str, str]
) -> Markup:
    """Two lines over time: ``(label, first, second)`` per bucket (received, with a result)."""
    width, height, pad = 560, 180, 28
    top = max((max(a, b) for _, a, b in points), default=0) or 1
    step = (width - 2 * pad) / max(1, len(points) - 1)

    def xy(index: int, value: int) -> str:
        return f"{pad + index * step:.1f},{height - pad - (height - 2 * pad) * value / top:.1f}"

    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="{escape(chart_id)}-title">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="#999"></line>',
        f'<text x="2" y="{pad}" font-size="11">{top}</text>',
    ]
    for column, colour, name in ((1, "#2b6cb0", names[0]), (2, "#2f855a", names[1])):
        line = " ".join(xy(i, point[column]) for i, point in enumerate(points))
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{line}">'
            f"<title>{escape(name)}</title></polyline>"
        )
        for i, point in enumerate(points):
            x, y = xy(i, point[column]).split(",")
            parts.append(
                f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}">'
                f"<title>{escape(point[0])} · {escape(name)}: {point[column]}</title></circle>"
            )
    if points:
        parts.append(
            f'<text x="{pad}" y="{height - 8}" font-size="11">{escape(points[0][0])}</text>'
        )
        parts.append(
            f'<text x="{width - pad}" y="{height - 8}" font-size="11" text-anchor="end">'
            f"{escape(points[-1][0])}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(label: str, most: int = 30) -> str:
    return label if len(label) <= most else label[: most - 1] + "…"


def point_map(title: str, points: Sequence[tuple[str, int, float, float]], chart_id: str) -> Markup:
    """Circles on a blank background, one per ``(label, count, latitude, longitude)``, placed by
    their coordinates (equirectangular, enough for one province) and sized by count (area). Needs
    no map tiles, so it works offline and prints."""
    width, height, pad = 520, 420, 30
    parts = [
        f'<svg class="chart map" id="{escape(chart_id)}" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="{escape(chart_id)}-title">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f4f6f8"></rect>',
    ]
    if points:
        lats = [p[2] for p in points]
        lons = [p[3] for p in points]
        span = max(max(lats) - min(lats), max(lons) - min(lons)) or 0.01
        most = max(p[1] for p in points) or 1
        for label, count, lat, lon in points:
            x = pad + (width - 2 * pad) * (lon - min(lons)) / span
            y = height - pad - (height - 2 * pad) * (lat - min(lats)) / span
            radius = 4 + 18 * (count / most) ** 0.5
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="#c53030" '
                f'fill-opacity="0.55" stroke="#742a2a" data-count="{count}">'
                f"<title>{escape(label)}: {count}</title></circle>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))
