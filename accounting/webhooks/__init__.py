"""Outgoing webhooks: how they are signed, vetted, sent and retried.

The machinery only, with no models and no tasks; the delivery service and
its Celery task call it:

- :mod:`.signing`: the ``Webhook-Signature`` header, and how a receiver
  verifies it;
- :mod:`.addresses`: the guard against SSRF, when a URL is registered and
  again when a connection is made;
- :mod:`.sending`: one POST attempt, and its outcome;
- :mod:`.schedule`: when a failed attempt is retried, and when the
  delivery is given up.

Callers use the names re-exported here (``webhooks.post_signed``, ...).
"""

from accounting.webhooks.addresses import (
    addresses_vetted,
    endpoint_check,
    url_checked,
)
from accounting.webhooks.schedule import (
    DELIVERY_WINDOW,
    gives_up,
    retry_delay,
)
from accounting.webhooks.sending import Attempt, post_signed
from accounting.webhooks.signing import (
    SIGNATURE_HEADER,
    secret_new,
    signature_header,
    signature_verify,
)

__all__ = [
    "DELIVERY_WINDOW",
    "SIGNATURE_HEADER",
    "Attempt",
    "addresses_vetted",
    "endpoint_check",
    "gives_up",
    "post_signed",
    "retry_delay",
    "secret_new",
    "signature_header",
    "signature_verify",
    "url_checked",
]
