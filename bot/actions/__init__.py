"""Custom actions for the Rasa action server (`python -m rasa_sdk --actions bot.actions`).

Grouped by topic; importing this package registers every action:
  session.py   the first message (automated assistant, how to reach a person)
  handoff.py   hand-over signals: person requested, safeguarding, housing, complaint, low confidence
  fallback.py  not understood (twice -> person) and repeat
  optout.py    opt-out / withdraw / "what choices have I made" signals
  bins.py      bin days (form validation + look-up)
  lookups.py   case status, planning, libraries, contact hours, bare postcode/reference (inform)
  reports.py   missed bin, pothole, fly-tipping, street light reports -> cases
  inclusion.py cannot get online: a note with the resident's agreement, and the help they pick
  switch.py    a change of topic in the middle of a look-up form
  catalogue.py answers from the service catalogue, "did that answer", text me the link
Actions reach the database only through `services` (DATABASE_URL from the environment).
"""

from core.log_redaction import install_log_redaction

install_log_redaction()  # the action server's log: no personal data, tracebacks included

from bot.actions import (  # noqa: E402,F401
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

# isort: split
# Its own line, so merging another topic into the line above stays easy.
from bot.actions import inclusion  # noqa: E402,F401
