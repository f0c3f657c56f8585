"""How both admins write instants: ISO 8601 order, to the second, in UTC.

Django's English formats drop the seconds (``Nov. 21, 2026, 10 a.m.``),
so two movements of one minute look simultaneous and a staff member
cannot match a row to a log line or an API answer. Django reads these
instead of its own (``FORMAT_MODULE_PATH``; there is no ``USE_L10N`` to
turn off since Django 5.0); only output formats change: what staff type
in a form is still read by Django's input formats.
"""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i:s"
DATETIME_FORMAT = "Y-m-d H:i:s T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i:s"
