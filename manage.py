#!/usr/bin/env python
"""Django's command-line utility for all three services.

The service is chosen by ``DJANGO_SETTINGS_MODULE``: ``config.users.settings``,
``config.accounting.settings`` or ``config.integration.settings``.
"""

import os
import sys


def main() -> None:
    """Runs a management command for the service named by the environment."""
    if "DJANGO_SETTINGS_MODULE" not in os.environ:
        sys.exit(
            "Set DJANGO_SETTINGS_MODULE to config.users.settings, "
            "config.accounting.settings or config.integration.settings."
        )
    from django.core.management import execute_from_command_line  # noqa: PLC0415

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
