"""What a partner's key may do: the scopes staff gave it.

A partner view names the scopes it needs (``required_scopes``); a key
without one of them is refused with 403 ``permission_denied``, saying
which. A request without a partner key (a user's access token is none)
is answered 401 ``not_authenticated`` instead.
"""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from integration.authentication import PartnerPrincipal

CREDITS_WRITE = "credits:write"
WEBHOOKS_MANAGE = "webhooks:manage"


class HasPartnerScopes(BasePermission):
    """Lets through a partner key holding every scope the view requires."""

    message = "This API key may not do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        """Checks the caller's key against the view's ``required_scopes``.

        Args:
            request: The request, its caller authenticated.
            view: The view; its ``required_scopes`` lists what it needs.

        Returns:
            Whether the caller is a partner key with all those scopes.
            Without one, DRF answers 401 (no credential it reads) and
            otherwise 403, with a detail naming what is missing.
        """
        principal = request.user
        if not isinstance(principal, PartnerPrincipal):
            return False
        missing = sorted(set(view.required_scopes) - principal.scopes)
        if missing:
            self.message = (
                "This API key does not have the scope "
                + ", ".join(f"`{scope}`" for scope in missing)
                + " this operation needs; staff add scopes to a key in "
                "the accounting admin."
            )
            return False
        return True
