"""The service's settings with the HTTP benchmark's URLconf (bench/http_urls.py), which adds a
bare view beside the service's own URLs. Only bench/bench_http.py's gunicorn uses this module."""

from learning.settings import *  # noqa: F403 - the service's settings, unchanged but one

ROOT_URLCONF = "bench.http_urls"
