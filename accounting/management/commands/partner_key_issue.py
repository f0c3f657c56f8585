"""``manage.py partner_key_issue``: a partner's API key, from a shell.

What staff do in the admin (Partner keys, Add), for operators and
scripts: the partner is created if it is new, the key is issued through
``key_issue`` and printed once on stdout, alone on its line, so that
``KEY=$(manage.py partner_key_issue ...)`` keeps it.
"""

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounting import models, services
from config.request_rates import parse_rate


class Command(BaseCommand):
    """Issues an API key to a partner and prints it."""

    help = "Issue a partner's API key (printed once)."

    def add_arguments(self, parser: CommandParser) -> None:
        """The partner, the key's name, its scopes and rate."""
        parser.add_argument("partner", help="The partner's name.")
        parser.add_argument("--name", default="api", help="What it is for.")
        parser.add_argument(
            "--scope",
            action="append",
            choices=models.PartnerKey.Scope.values,
            dest="scopes",
            help="What it may do (repeat for several).",
        )
        parser.add_argument(
            "--rate-limit", default="", help='Its own rate, e.g. "600/min".'
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Creates the partner if new, issues the key, prints it."""
        del args
        rate = options["rate_limit"]
        if rate:
            try:
                parse_rate(rate)
            except ImproperlyConfigured as error:
                raise CommandError(str(error)) from error
        partner, _ = models.Partner.objects.get_or_create(
            name=options["partner"]
        )
        _, raw_key = services.key_issue(
            partner=partner,
            name=options["name"],
            scopes=options["scopes"] or [models.PartnerKey.Scope.CREDITS_WRITE],
            rate_limit=rate,
            created_by="manage.py",
        )
        self.stdout.write(raw_key)
