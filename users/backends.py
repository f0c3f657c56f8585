"""Email login for the users service.

Django's ModelBackend, with the lookup of ``UserManager.get_by_natural_key``:
the live user with that email, in any case. A deleted user is never found,
so a deleted address that signed up again logs into the new account only.

Naming this backend in ``AUTHENTICATION_BACKENDS`` is also what lets the
email be unique among live users only (a conditional constraint), which
Django's system check accepts with a warning (``auth.W004``, silenced in the
settings) instead of an error.
"""

from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Authenticates live users by email (any case) and password."""
