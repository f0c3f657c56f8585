"""What accounting's request id and metrics middlewares cost a request.

Times ``GET /healthz`` (the framework's floor: no database, no body)
through Django's test client, 3,000 requests, best of three, with the
service's whole ``MIDDLEWARE``, without the metrics middleware, and
without both; metrics in multiprocess mode, as under gunicorn. In process,
so no HTTP server or load generator shares the cores::

    CACHE_URL=locmemcache:// .venv/bin/python bench/middleware_cost.py

(with the accounting settings' database variables, as for its tests).
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REQUESTS = 3000
WARM_UP = 200
ROUNDS = 3
NEW = (
    "config.request_id_middleware.RequestIdMiddleware",
    "config.metrics.requests.RequestMetricsMiddleware",
)


def _per_request(middleware: list[str]) -> float:
    """Returns the best round's microseconds per request."""
    from django.test import Client  # noqa: PLC0415
    from django.test.utils import override_settings  # noqa: PLC0415

    with override_settings(MIDDLEWARE=middleware, ALLOWED_HOSTS=["*"]):
        client = Client()
        for _ in range(WARM_UP):
            client.get("/healthz")
        rounds = []
        for _ in range(ROUNDS):
            began = time.perf_counter()
            for _ in range(REQUESTS):
                client.get("/healthz")
            rounds.append((time.perf_counter() - began) / REQUESTS * 1e6)
    return min(rounds)


def main() -> None:
    """Prints the three timings."""
    os.environ.setdefault(
        "DJANGO_SETTINGS_MODULE", "config.accounting.settings"
    )
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp()
    import django  # noqa: PLC0415

    django.setup()
    from django.conf import settings  # noqa: PLC0415

    every = list(settings.MIDDLEWARE)
    for label, middleware in (
        ("every middleware", every),
        ("without metrics", [m for m in every if m != NEW[1]]),
        (
            "without the request id and metrics",
            [m for m in every if m not in NEW],
        ),
    ):
        print(f"{label}: {_per_request(middleware):.0f} us per request")


if __name__ == "__main__":
    main()
