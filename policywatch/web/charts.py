"""Changes per week per site as a server-rendered SVG: one row of bars per site.

No script, no external font or stylesheet: presentation attributes only, so the page's
Content-Security-Policy (no inline styles) still lets it render. Every label is XML-escaped;
the app drops XML-illegal and bidi characters from the body (policywatch.web.app).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from policywatch.web import names, params, views
from policywatch.web.session import session

bp = Blueprint("charts", __name__)

ROW_H, BAR_GAP, LABEL_W, COUNT_W, TOP, BOTTOM = 28, 2, 150, 44, 8, 26
BAR = "#2f6f9f"


def weekly_svg(data: dict[str, Any], width: int = 760) -> Markup:
    weeks, series = data["weeks"], data["series"]
    n = max(len(weeks), 1)
    plot_w = width - LABEL_W - COUNT_W
    bar_w = max(plot_w / n - BAR_GAP, 1)
    height = TOP + ROW_H * max(len(series), 1) + BOTTOM
    peak = max((c for s in series for c in s["counts"]), default=0) or 1
    out = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{w}" height="{h}" '
            'viewBox="0 0 {w} {h}" role="img" aria-label="{t}">'
        ).format(w=width, h=height, t=_("Changes per week per site")),
        Markup("<title>{}</title>").format(_("Changes per week per site")),
    ]
    if not series:
        out.append(
            Markup('<text x="{}" y="{}" font-size="13" fill="#555">{}</text>').format(
                LABEL_W, TOP + 18, _("no changes in these weeks")
            )
        )
    for r, s in enumerate(series):
        y0 = TOP + r * ROW_H
        base = y0 + ROW_H - 6
        title = names.title(s["site"])  # the display name; the id stays in URLs
        name = title if len(title) <= 20 else title[:19] + "…"
        out.append(
            Markup('<text x="4" y="{}" font-size="13" fill="#222">{}</text>').format(base - 4, name)
        )
        out.append(
            Markup('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#ccc"/>').format(
                LABEL_W, base, LABEL_W + plot_w, base
            )
        )
        for k, count in enumerate(s["counts"]):
            if not count:
                continue
            h = max((ROW_H - 8) * count / peak, 1.5)
            x = LABEL_W + k * (plot_w / n) + BAR_GAP / 2
            out.append(
                Markup(
                    '<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}">'
                    "<title>{}</title></rect>"
                ).format(
                    x, base - h, bar_w, h, BAR,
                    ngettext(
                        "%(site)s: %(num)d change in the week of %(week)s",
                        "%(site)s: %(num)d changes in the week of %(week)s",
                        count,
                        site=title,
                        week=weeks[k],
                    ),
                )
            )
        out.append(
            Markup('<text x="{}" y="{}" font-size="12" fill="#555" text-anchor="end">{}</text>').format(
                width - 4, base - 4, sum(s["counts"])
            )
        )
    axis_y = height - 8
    step = max(1, n // 6)
    for k in range(0, n, step):
        x = LABEL_W + k * (plot_w / n)
        out.append(
            Markup('<text x="{:.1f}" y="{}" font-size="11" fill="#555">{}</text>').format(x, axis_y, weeks[k][5:])
        )
    out.append(
        Markup('<text x="{}" y="{}" font-size="11" fill="#555" text-anchor="end">{}</text>').format(
            width - 4, axis_y, _("total")
        )
    )
    out.append(Markup("</svg>"))
    return Markup("").join(out)


@bp.get("/charts/weekly.svg")
def weekly_chart():
    weeks = params.WEEKS.get()
    site = params.SITE.get()
    svg = weekly_svg(views.weekly(session(), weeks=weeks, site=site))
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + str(svg)
    return Response(body, mimetype="image/svg+xml", headers={"Content-Security-Policy": "default-src 'none'"})


