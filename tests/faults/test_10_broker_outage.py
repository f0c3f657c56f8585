"""A RabbitMQ outage during sign-ups delays user events but loses none.

Sign-ups keep coming while the private broker's application is stopped and
started again; none fails, since a sign-up only writes the users database
and its outbox. Each user's creation event waits in the outbox until the
beat sweep (every 2 s here) republishes it; the accounting worker
reconnects and creates every holder. So every user that signed up gets its
accounts.
"""

import threading
import time

from tests.faults.signups import SignUps

SIGNUPS = 24
OUTAGE_SECONDS = 4
PROPAGATION_TIMEOUT = 120


def test_no_user_is_lost_when_the_broker_restarts(platform):
    signups = SignUps(platform.gateway, pause=0.25)
    stop = threading.Event()
    writer = threading.Thread(target=signups.run, args=(stop, SIGNUPS))
    writer.start()
    try:
        time.sleep(1)
        platform.rabbitmq.stop_app()
        try:
            time.sleep(OUTAGE_SECONDS)
        finally:
            platform.rabbitmq.start_app()
        writer.join(timeout=180)
    finally:
        stop.set()
        writer.join()

    assert not signups.problems, signups.problems
    assert not signups.retried, signups.retried
    assert len(signups.created) == SIGNUPS
    assert not signups.missing_accounts(timeout=PROPAGATION_TIMEOUT)
