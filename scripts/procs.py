"""Runs honcho with a shutdown grace period that fits Celery workers.

``make run`` and the end-to-end suite start every process through honcho.
On Ctrl-C honcho asks each process to stop, then kills whatever is still
running after a fixed 5 seconds (``honcho.manager.KILL_WAIT``). A Celery
worker's warm shutdown (finish the task in hand, give back unacknowledged
messages, close the broker connection) takes 4-8 seconds here, so it would
be killed halfway. This gives it 30 seconds; otherwise it is plain honcho::

    python scripts/procs.py -e /dev/null -f Procfile start
"""

import sys

from honcho import command, manager

GRACE_SECONDS = 30

if __name__ == "__main__":
    manager.KILL_WAIT = GRACE_SECONDS
    sys.exit(command.main())
