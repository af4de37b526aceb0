"""gunicorn's access log, minus the start-up banner's own health polling.

`make run` prints one line per request on the terminal; contact_assistant/wait_healthy.py asks
/healthz every half second until everything is up, which would bury the URLs under a screen
of "GET /healthz 503". Its requests carry WAIT_HEALTHY_AGENT and are left out. Every other
request, health checks from load balancers and monitoring included, is logged as before.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

WAIT_HEALTHY_AGENT = "council-wait-healthy"


class AccessLogger(Logger):
    def access(self, resp, req, environ, request_time) -> None:
        if environ.get("HTTP_USER_AGENT") == WAIT_HEALTHY_AGENT:
            return
        super().access(resp, req, environ, request_time)
