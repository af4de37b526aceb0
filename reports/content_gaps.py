"""What the service catalogue could not answer, by week: /advisor/reports/content-gaps (+ .csv).

Two lists for the council's content team, supervisors and admins only:
- unanswered questions: residents' messages nothing in the catalogue answered (stored already
  redacted by the router, and never for residents who opted out of data use), with the
  closest services and the team they would have gone to;
- unhelpful answers: catalogue answers residents said "No" to ("Did that answer your
  question?"), per service, beside the "Yes" count.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from sqlalchemy import select

from core.vocabulary import CHANNEL_LABELS
from reports.views import PERIODS, _csv_cell, period_bounds, supervisors_only
from services import catalogue as catalogue_service
from storage.models import AnswerFeedback, UnansweredQuestion, utcnow

bp = Blueprint("content_gaps", __name__, url_prefix="/advisor/reports",
               template_folder="templates")
MAX_LISTED = 500  # questions listed on the page (the CSV has them all)


def week_of(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Gaps:
    since: datetime | None
    weeks: list[dict[str, Any]] = field(default_factory=list)
    questions: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)


def content_gaps(session: Any, since: datetime | None, titles: dict[str, str]) -> Gaps:
    gaps = Gaps(since)
    q = select(UnansweredQuestion).order_by(UnansweredQuestion.created_at.desc())
    f = select(AnswerFeedback)
    if since is not None:
        q = q.where(UnansweredQuestion.created_at >= since)
        f = f.where(AnswerFeedback.created_at >= since)
    per_week: dict[str, Counter[str]] = defaultdict(Counter)
    for row in session.scalars(q):
        week = week_of(row.created_at)
        per_week[week]["unanswered"] += 1
        gaps.questions.append({
            "week": week, "date": row.created_at.strftime("%Y-%m-%d"),
            "channel": CHANNEL_LABELS.get(row.channel, row.channel), "text": row.text,
            "team": row.likely_team or "",
            "closest": ", ".join(titles.get(c, c) for c in (row.candidates or [])[:3]),
        })
    per_service: dict[str, Counter[str]] = defaultdict(Counter)
    for row in session.scalars(f):
        week = week_of(row.created_at)
        per_week[week]["helpful" if row.helpful else "unhelpful"] += 1
        per_service[row.service_id]["yes" if row.helpful else "no"] += 1
    gaps.weeks = [{"week": w, "unanswered": c["unanswered"], "unhelpful": c["unhelpful"],
                   "helpful": c["helpful"]} for w, c in sorted(per_week.items(), reverse=True)]
    gaps.services = sorted(
        ({"service_id": sid, "title": titles.get(sid, sid), "no": c["no"], "yes": c["yes"]}
         for sid, c in per_service.items() if c["no"]),
        key=lambda r: (-r["no"], r["title"]))
    return gaps


def _gaps() -> tuple[Gaps, str]:
    since, period = period_bounds(request.args.get("period", ""))
    db = current_app.extensions["db"]
    try:
        titles = {s.id: s.title for s in catalogue_service.current(db).services}
    except catalogue_service.CatalogueInvalid:
        titles = {}
    with db.session() as s:
        return content_gaps(s, since, titles), period


@bp.get("/content-gaps")
@supervisors_only
def index():
    gaps, period = _gaps()
    return render_template("reports/content_gaps.html", gaps=gaps, period=period,
                           periods=PERIODS, max_listed=MAX_LISTED)


@bp.get("/content-gaps.csv")
@supervisors_only
def download():
    gaps, period = _gaps()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["kind", "week", "date", "channel", "question or service", "team",
                     "closest services", "no", "yes"])
    for q in gaps.questions:
        writer.writerow([_csv_cell(v) for v in ("unanswered", q["week"], q["date"], q["channel"],
                                                 q["text"], q["team"], q["closest"], "", "")])
    for sv in gaps.services:
        writer.writerow([_csv_cell(v) for v in ("unhelpful answer", "", "", "", sv["title"], "",
                                                 "", sv["no"], sv["yes"])])
    filename = f"content-gaps-{period}-{utcnow():%Y-%m-%d}.csv"
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
