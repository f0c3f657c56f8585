"""What the users service tells Prometheus beyond its requests: its outbox.

The relay publishes each user event right after its commit; the beat
sweep republishes what an outage left. The backlog (pending events, the
oldest one's wait) says whether accounting hears of users in time: read
at each scrape by the web server's metrics (config/metrics/outbox.py).
"""

from config.metrics import outbox
from users.models import OutboxEvent

_TABLE = OutboxEvent._meta.db_table

OUTBOX = outbox.Outbox(
    name="users_events",
    # Only names from the model are formatted in.
    sql=f"""
        SELECT count(*), EXTRACT(EPOCH FROM now() - min("created_at"))
        FROM "{_TABLE}" WHERE "published_at" IS NULL
    """,  # noqa: S608
    sqlite_sql=f"""
        SELECT count(*),
            (julianday('now') - julianday(min("created_at"))) * 86400
        FROM "{_TABLE}" WHERE "published_at" IS NULL
    """,  # noqa: S608
)


def register() -> None:
    """Names the outbox to the metrics of this service."""
    outbox.register(OUTBOX)
