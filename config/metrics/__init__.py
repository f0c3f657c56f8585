"""Prometheus metrics of every process, served on a port of its own.

- :mod:`config.metrics.definitions`: every metric, written once;
- :mod:`config.metrics.multiprocess`: the shared folder of a server's
  worker processes (gunicorn, uvicorn);
- :mod:`config.metrics.exposition`: the metrics server (``METRICS_PORT``);
- :mod:`config.metrics.requests`: the middleware counting requests;
- :mod:`config.metrics.tasks`: the Celery signals;
- :mod:`config.metrics.outbox`: the collector of the outboxes' backlog;
- :mod:`config.metrics.pools`: database connections and upstream pools.

Decision 21 of ``docs/architecture.md`` says why a port of its own.
"""
