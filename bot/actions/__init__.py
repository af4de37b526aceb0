"""Custom actions for the Rasa action server (`python -m rasa_sdk --actions bot.actions`).

Grouped by topic; importing this package registers every action:
  session.py   the first message (automated assistant, how to reach a person)
  handoff.py   hand-over signals: person requested, safeguarding, housing, complaint, low confidence
  fallback.py  not understood (twice -> person) and repeat
  optout.py    opt-out / withdraw / "what choices have I made" signals
  bins.py      bin days (form validation + look-up)
  lookups.py   case status, planning, libraries, contact hours, bare postcode/reference (inform)
  reports.py   missed bin, pothole, fly-tipping, street light reports -> cases
  switch.py    a change of topic in the middle of a look-up form
  catalogue.py answers from the service catalogue, "did that answer", text me the link
Actions reach the database only through `services` (DATABASE_URL from the environment).
"""

from bot.actions import (  # noqa: F401
    bins,
    catalogue,
    fallback,
    handoff,
    lookups,
    optout,
    reports,
    session,
    switch,
)
