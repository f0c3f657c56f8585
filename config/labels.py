"""Labels: a credit's source, a withdrawal's category, in one spelling.

Labels are free text; grouping them in reports needs one spelling per
label, so surrounding and repeated whitespace go and letters are
case-folded: ``"  Eating   Out "`` is stored as ``"eating out"``. The
bound counts what is stored: spaces that go do not count, and case
folding may lengthen a label (``"ß"`` becomes ``"ss"``). The gateway and
accounting judge a label with these same functions, so that both accept
or both refuse it.
"""

from config import bounds

# How a label is stored, for the help texts of the fields that take one.
RULE = (
    "Stored normalised (spaces collapsed, case folded), at most "
    f"{bounds.LABEL_MAX_LENGTH} characters."
)


class LabelError(ValueError):
    """A label longer than :data:`bounds.LABEL_MAX_LENGTH` once stored."""


def normalize(text: str | None) -> str:
    """Returns a label in its one stored spelling.

    Args:
        text: The label as the client sent it (None: no label).

    Returns:
        The normalised label, ``""`` for none.
    """
    return " ".join((text or "").split()).casefold()


def parse(text: str | None) -> str:
    """Returns a label as it is stored, if it fits.

    Normalising when the request is read also makes equivalent bodies
    share one idempotency fingerprint.

    Raises:
        LabelError: Longer than the bound once normalised.
    """
    label = normalize(text)
    if len(label) > bounds.LABEL_MAX_LENGTH:
        raise LabelError(
            f"At most {bounds.LABEL_MAX_LENGTH} characters (after removing "
            "extra spaces)."
        )
    return label
