"""The users admin's client of accounting's internal API.

A user's change page shows their money (``users.admin``), which only
accounting knows: the admin asks accounting's internal API for the
holder's summary (``GET /internal/v1/holders/{user_id}/summary``) with
the users service's own credential, ``ACCOUNTING_USERS_TOKEN``, which
accounting accepts for that read alone. The services never import each
other (decision 7 of docs/architecture.md).

The page must render whatever accounting does: each wait is bounded by
``ACCOUNTING_TIMEOUT``, and every failure (refused, silent, a 5xx, a
refused credential, an answer that is not the contract's JSON) is one
:class:`AccountingUnavailableError`, logged here once, which the page
shows as a note. One pooled client per process (``config.service_clients``,
as the gateway's), rebuilt when a setting it was built from changes.
"""

import logging
import threading
import uuid
from http import HTTPStatus
from typing import Any

import httpx
from django.conf import settings

from config import service_clients

logger = logging.getLogger(__name__)

SUMMARY_PATH = "/internal/v1/holders/{user_id}/summary"
# Staff look at one customer at a time: a small pool is plenty.
POOL_SIZE = 4
# A change to any of these settings (tests use override_settings) makes
# the cached client stale: it is closed and rebuilt on next use.
_CLIENT_SETTINGS = frozenset(
    {"ACCOUNTING_SERVICE_URL", "ACCOUNTING_USERS_TOKEN", "ACCOUNTING_TIMEOUT"}
)


class AccountingUnavailableError(Exception):
    """Accounting could not tell: down, slow, failing or misconfigured."""


_client: httpx.Client | None = None
_lock = threading.Lock()


def get_client() -> httpx.Client:
    """Returns the process-wide client of accounting, creating it once."""
    global _client  # noqa: PLW0603 (one client per process, by design)
    with _lock:
        if _client is None:
            _client = service_clients.pooled_client(
                base_url=settings.ACCOUNTING_SERVICE_URL,
                token=settings.ACCOUNTING_USERS_TOKEN,
                connect_timeout=settings.ACCOUNTING_TIMEOUT,
                read_timeout=settings.ACCOUNTING_TIMEOUT,
                pool_size=POOL_SIZE,
            )
        return _client


def close_client() -> None:
    """Closes the cached client; the next call builds a fresh one."""
    global _client  # noqa: PLW0603 (one client per process, by design)
    with _lock:
        if _client is not None:
            _client.close()
            _client = None


def on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    """Drops the cached client when a setting it was built from changes.

    Args:
        setting: The name of the changed setting.
        **kwargs: The rest of Django's ``setting_changed`` signal.
    """
    del kwargs
    if setting in _CLIENT_SETTINGS:
        close_client()


def _unavailable(reason: str) -> AccountingUnavailableError:
    """Logs why accounting could not answer; returns the error to raise."""
    logger.warning("accounting gave no customer summary: %s", reason)
    return AccountingUnavailableError(reason)


def holder_summary(*, user_id: uuid.UUID) -> dict[str, Any] | None:
    """Returns a holder's summary as accounting documents it.

    Args:
        user_id: The user's id (their holder's, in accounting).

    Returns:
        ``{holder, accounts, transactions}`` (docs/internal-api.md), or
        None when accounting does not know the user yet (its creation
        event is on its way: 409 ``account_not_ready``).

    Raises:
        AccountingUnavailableError: Accounting did not give an answer of
            the contract, in time.
    """
    path = SUMMARY_PATH.format(user_id=user_id)
    try:
        response = get_client().get(
            path, headers=service_clients.request_id_headers()
        )
    except httpx.TimeoutException as error:
        raise _unavailable(f"no answer in time ({error!r})") from error
    except httpx.TransportError as error:
        raise _unavailable(f"unreachable ({error!r})") from error
    status = response.status_code
    if status == HTTPStatus.CONFLICT:
        return None
    if status != HTTPStatus.OK:
        raise _unavailable(f"answered {status}")
    try:
        document = response.json()
    except ValueError as error:
        raise _unavailable("answered a body that is not JSON") from error
    if not isinstance(document, dict) or not {
        "holder",
        "accounts",
        "transactions",
    } <= set(document):
        raise _unavailable("answered a body that is not a summary")
    return document
