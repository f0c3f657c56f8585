"""What every admin page's template knows of the platform."""

from django.conf import settings
from django.http import HttpRequest


def back_office(request: HttpRequest) -> dict[str, str]:
    """Names the environment for the admins' badge (admin/base_site.html)."""
    del request
    return {"environment_name": settings.ENVIRONMENT_NAME}
