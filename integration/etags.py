"""ETags and 304s on every successful GET of the public API.

The tag is the SHA-256 of the bytes sent (``config.conditional``): a
strong validator by construction, equal for equal answers whatever
produced them (a kept answer or a fresh one, any gateway process), and
different as soon as one byte differs. ``If-None-Match`` naming it
answers ``304 Not Modified`` with the same headers and no body.

Every answer of ``/api/v1/`` is about its caller, so each says
``Cache-Control: private, no-cache`` (a client may keep it but must
revalidate; no shared cache may) and ``Vary: Authorization``. Errors carry
no tag. A 304 saves the client the transfer, not the gateway the request:
what the gateway itself keeps is ``integration.caching``'s.
"""

from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from config import conditional

PREFIX = "/api/v1/"
CACHE_CONTROL = "private, no-cache"
_READS = frozenset({"GET", "HEAD"})


class ConditionalGetMiddleware:
    """Tags the public API's successful reads; answers 304 when current.

    Args:
        get_response: The next handler.
    """

    def __init__(
        self, get_response: Callable[[HttpRequest], HttpResponse]
    ) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Serves the request, then tags the answer if it is a read's."""
        response = self.get_response(request)
        if (
            request.method not in _READS
            or not request.path.startswith(PREFIX)
            or response.status_code != HTTPStatus.OK
            or response.streaming
        ):
            return response
        response[conditional.ETAG] = conditional.strong_etag(response.content)
        response["Cache-Control"] = CACHE_CONTROL
        patch_vary_headers(response, ["Authorization"])
        if conditional.matches(
            request.headers.get(conditional.IF_NONE_MATCH),
            response[conditional.ETAG],
        ):
            return conditional.not_modified(response)
        return response
