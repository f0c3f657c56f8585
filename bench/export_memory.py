"""What a CSV export of the admin costs: time, bytes and peak memory.

Exports a list of the accounting admin (entries by default) through
Django's test client, as a signed-in superuser, and reads the streamed
answer piece by piece, as a browser would, without keeping it. Prints the
rows, the bytes, the seconds to the first row and to the end, and the
process's peak resident memory before and after: a streamed export's
peak does not grow with the rows. On the database the accounting
settings name (``ACCOUNTING_DATABASE_URL``)::

    .venv/bin/python bench/export_memory.py [MODEL [QUERY]]

MODEL is ``entry`` (the default), ``transaction``, ``account``, ``holder``
or ``rate``; QUERY a list's query string, such as ``currency__exact=EUR``.
"""

import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _peak_mib() -> float:
    """The process's peak resident memory so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Runs one export and prints what it cost."""
    os.environ.setdefault(
        "DJANGO_SETTINGS_MODULE", "config.accounting.settings"
    )
    import django  # noqa: PLC0415

    django.setup()
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415
    from django.test.utils import override_settings  # noqa: PLC0415
    from django.urls import reverse  # noqa: PLC0415

    model = sys.argv[1] if len(sys.argv) > 1 else "entry"
    query = sys.argv[2] if len(sys.argv) > 2 else ""
    staff, _ = get_user_model().objects.get_or_create(
        username="export-bench",
        defaults={"is_staff": True, "is_superuser": True},
    )
    with override_settings(ALLOWED_HOSTS=["*"]):
        client = Client()
        client.force_login(staff)
        url = reverse(f"admin:accounting_{model}_export")
        before = _peak_mib()
        start = time.perf_counter()
        response = client.get(f"{url}?{query}")
        first, lines, size = None, 0, 0
        for piece in response.streaming_content:
            lines += piece.count(b"\n")
            if first is None and lines > 1:
                first = time.perf_counter() - start
            size += len(piece)
        total = time.perf_counter() - start
        response.close()
    print(
        f"{model}: {lines - 1:,} rows, {size / 2**20:,.1f} MiB of CSV; "
        f"first row after {first or 0:.2f} s, all after {total:.1f} s "
        f"({(lines - 1) / total:,.0f} rows/s); peak memory "
        f"{before:,.0f} MiB before, {_peak_mib():,.0f} MiB after"
    )


if __name__ == "__main__":
    main()
