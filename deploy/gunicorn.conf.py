"""gunicorn's settings for the service: `make serve` and the systemd unit both start
`gunicorn -c deploy/gunicorn.conf.py` from the checkout. See docs/deployment.md.

Every value can be changed on the command line or in GUNICORN_CMD_ARGS (e.g.
`GUNICORN_CMD_ARGS="--bind 127.0.0.1:8001 --access-logfile -"`), which take precedence over
this file."""

import os
import sys
from pathlib import Path

from gunicorn.glogging import Logger

CHECKOUT = Path(__file__).resolve().parent.parent
# The masking filter lives with the feeds (calendars/log.py); the checkout is importable from
# here whatever directory gunicorn was started in.
sys.path.insert(0, str(CHECKOUT))

from calendars.log import MaskFeedKeys  # noqa: E402


def _cores() -> int:
    """The cores this process may run on (a container or a cgroup may allow fewer than the
    machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class FeedKeyMaskingLogger(Logger):
    """gunicorn's logger, with personal feed keys masked in the access log: a feed URL's key is
    the feed's only secret, and access logs are kept long and read widely."""

    def setup(self, cfg):
        super().setup(cfg)
        self.access_log.addFilter(MaskFeedKeys())


wsgi_app = "learning.wsgi:application"
chdir = str(CHECKOUT)
# Behind a reverse proxy on the same machine: only it reaches gunicorn.
bind = ["127.0.0.1:8000"]
# The usual (2 x cores) + 1 sync workers: while one waits on the database, another computes.
# Sync workers answer one request at a time and close the connection after it; nginx in front
# buffers slow clients, so none of them holds a worker.
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * _cores() + 1)
# Imports and district workbooks are built within the request; give them time.
timeout = 120
graceful_timeout = 30
# Workers restart after a while, so slow leaks never add up.
max_requests = 2000
max_requests_jitter = 200
# The worker heartbeat lives in memory, not on a disk that may stall.
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"
# Managed by systemd and signals (HUP reloads, TERM stops); gunicorn's control socket would sit
# in the user's home, shared by every instance there.
control_socket_disable = True
logger_class = FeedKeyMaskingLogger
# No access log of gunicorn's own by default (the proxy keeps one); `--access-logfile -` turns it
# on, masked as above.
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Only the proxy's X-Forwarded-* headers are believed.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
