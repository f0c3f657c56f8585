"""The vocabulary of a bank statement: its fields, delimiters, media type.

Shared by accounting's reader (``accounting/statements.py``) and the
request options both edges read (``config/uploads.py``).
"""

CSV_MEDIA_TYPE = "text/csv"

DATE = "date"
AMOUNT = "amount"
DESCRIPTION = "description"
CATEGORY = "category"
SOURCE = "source"
CURRENCY = "currency"
REFERENCE = "reference"
FIELDS = (DATE, AMOUNT, DESCRIPTION, CATEGORY, SOURCE, CURRENCY, REFERENCE)
REQUIRED = (DATE, AMOUNT)

# How a delimiter is named in a query string, and the character it is.
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t"}
COLUMN_NAME_MAX_LENGTH = 200
