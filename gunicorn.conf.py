"""Gunicorn settings for production: ``gunicorn -c gunicorn.conf.py``.

Environment:
    PORT                 port on 127.0.0.1 (default 8000), or a full address such as
                         ``unix:/run/pista/gunicorn.sock``
    WEB_CONCURRENCY      worker processes (default 2 x cores + 1, at most 8)
    FORWARDED_ALLOW_IPS  proxies whose X-Forwarded-* headers are trusted
                         (default 127.0.0.1,::1)
    GUNICORN_LOGLEVEL    error log level (default info; debug is refused)
"""

import os

from gunicorn.glogging import Logger

from intake.logfilter import AnonymousLogFilter

wsgi_app = "newsroom.wsgi:application"

_port = os.environ.get("PORT", "8000")
# The app sits behind a TLS-terminating reverse proxy, so listen on loopback only.
bind = [_port if ":" in _port else f"127.0.0.1:{_port}"]

_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * _cores + 1, 8))

# Tipster anonymity: no access log by default. Gunicorn's default access log format
# starts with the client address (%(h)s) and ends with the referrer and user agent
# (%(f)s, %(a)s), and its request line (%(r)s) carries the query string (%(q)s); any of
# them can identify a source. If an operator turns the log on (--access-logfile), this
# format carries no address, user agent, referrer, URL or query string, and no time
# (a second-precise time beside a POST would date a tip more finely than the hour):
# only method, status, size and duration. docs/deployment.md shows it.
accesslog = None
access_log_format = '"%(m)s" %(s)s %(B)s %(M)sms'


class AnonymousLogger(Logger):
    """Gunicorn's logger with Pista's log filter on its error and access logs: no IP
    address, user agent or query string reaches either (``intake.logfilter``)."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.addFilter(AnonymousLogFilter())
            for handler in log.handlers:
                handler.addFilter(AnonymousLogFilter())


logger_class = AnonymousLogger
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
if loglevel.lower() == "debug":
    raise SystemExit("GUNICORN_LOGLEVEL=debug logs request details; use info or above.")

# forwarded_allow_ips: only the reverse proxy on this host may set X-Forwarded-Proto
# (so Django knows the request came over HTTPS, see SECURE_PROXY_SSL_HEADER). The
# client address it might forward is never used or stored by Pista. Widen this only
# to your proxy's own address, never to "*".
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

timeout = 30
graceful_timeout = 30
