"""Gunicorn settings for production: ``gunicorn -c gunicorn.conf.py``.

Environment:
    PORT                 port on 127.0.0.1 (default 8000), or a full address such as
                         ``unix:/run/pista/gunicorn.sock``
    WEB_CONCURRENCY      worker processes (default 2 x cores + 1, at most 8)
    FORWARDED_ALLOW_IPS  proxies whose X-Forwarded-* headers are trusted
                         (default 127.0.0.1,::1)
    GUNICORN_LOGLEVEL    error log level (default info; debug is refused)
"""

import logging
import os
import re

from gunicorn.glogging import Logger

wsgi_app = "newsroom.wsgi:application"

_port = os.environ.get("PORT", "8000")
# The app sits behind a TLS-terminating reverse proxy, so listen on loopback only.
bind = [_port if ":" in _port else f"127.0.0.1:{_port}"]

_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * _cores + 1, 8))

# Tipster anonymity: no access log at all. Gunicorn's default access log format
# starts with the client address (%(h)s) and ends with the referrer and user agent
# (%(f)s, %(a)s); any of them can identify a source. If an operator turns the log on
# anyway (--access-logfile), this format carries no address, user agent, referrer or
# URL (paths can hold receipt tokens): only time, method, status, size and duration.
accesslog = None
access_log_format = '%(t)s "%(m)s" %(s)s %(B)s %(M)sms'


class _HideClientAddress(logging.Filter):
    """Blank the ``ip=...`` that gunicorn puts in its "Invalid request" warnings."""

    _ip = re.compile(r"\bip=\S+?(?=:?\s|$)")

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._ip.sub("ip=[hidden]", record.getMessage())
        record.args = ()
        return True


class AnonymousLogger(Logger):
    """Gunicorn's logger with client addresses kept out of the error log."""

    def setup(self, cfg):
        super().setup(cfg)
        self.error_log.addFilter(_HideClientAddress())


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
