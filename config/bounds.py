"""How long a text and how long a page may be, for every service.

The gateway refuses what users or accounting would refuse before it calls
them, the models store what the APIs accept, and the OpenAPI documents
print the same numbers: each bound is written here once and read by all
of them. (The gateway's request rates are ``integration.limits``; an
amount's maximum is ``config.money``; an ``Idempotency-Key``'s length is
``config.idempotency.keys``.)
"""

# --- Money movements ---------------------------------------------------------

# A movement's free-text description (a contribution's message is one).
DESCRIPTION_MAX_LENGTH = 500
# A credit's source, a withdrawal's category, a suggested category: counted
# once normalised (``config.labels``), as they are stored.
LABEL_MAX_LENGTH = 100
# Why staff reversed a movement (kept with the reversal, never shown to
# the holder).
REVERSAL_REASON_MAX_LENGTH = 500
# A partner's own reference of one payment (a payslip's number).
REFERENCE_MAX_LENGTH = 100

# --- Names -------------------------------------------------------------------

# A plan's, a goal's or a group's name.
NAME_MAX_LENGTH = 100
# A user's first or last name (Django's own bound).
PERSON_NAME_MAX_LENGTH = 150
# An email address: the longest path SMTP carries (RFC 5321).
EMAIL_MAX_LENGTH = 254

# --- Credentials -------------------------------------------------------------

# Hashing a longer password would cost the service more than the request
# costs the client. The gateway keeps the users service's bound: a longer
# password there than here would turn a wrong log-in into a 400 that names
# the password, not a 401.
PASSWORD_MAX_LENGTH = 1024
# A refresh token (an RS256 JWT is far shorter).
REFRESH_TOKEN_MAX_LENGTH = 4096

# --- Lists -------------------------------------------------------------------

# Transactions per page: when the client asks for none, and at most.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
# Items of one partner's credit batch, and the largest body that brings
# them (an item with the longest email and reference takes about 400).
CREDIT_BATCH_MAX_ITEMS = 10_000
CREDIT_BATCH_MAX_BYTES = 8 * 1024 * 1024
# A page cursor as the gateway accepts it (accounting issues far shorter).
CURSOR_MAX_LENGTH = 1024
