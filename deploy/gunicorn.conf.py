"""Gunicorn settings for the Flask app (web chat, Twilio webhooks, advisor console).

Every setting can be overridden from the environment; see deploy/README.md.
    gunicorn -c deploy/gunicorn.conf.py 'contact_assistant.app:create_app()'

The app's work is mostly waiting on Rasa over HTTP, so each worker runs threads:
throughput is roughly workers x threads / Rasa latency. Two workers per core is plenty.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_WORKERS", min(4, 2 * multiprocessing.cpu_count())))
threads = int(os.environ.get("WEB_THREADS", "8"))
worker_class = "gthread"
# Longer than RASA_TIMEOUT (5 s) so a slow assistant becomes a handoff, never a killed worker.
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so slow leaks cannot grow without bound.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
# Load the app in each worker (not the master): database pools and HTTP sessions are per process.
preload_app = False
# Request size limits (the app also enforces MAX_CONTENT_LENGTH = 64 KiB).
limit_request_line = 8190
limit_request_fields = 100
# Logs to stdout/stderr for systemd's journal. The access log records method, path (no query
# string: it could carry personal data), status and duration, never bodies.
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None
errorlog = "-"
access_log_format = '%(m)s %(U)s %(s)s %(M)sms'
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
# TLS ends at the load balancer; trust X-Forwarded-* only from it (the app uses ProxyFix).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "council-web"
