import pytest

from config import labels
from config.testing import FOLDED_LABEL, PADDED_LABEL


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("  Pay   Roll ", "pay roll"),
        ("PAYROLL", "payroll"),
        ("Stra\u00dfe", "strasse"),  # case folding, not just lower()
        ("\tTab\nand line ", "tab and line"),
        ("   ", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_a_label_has_one_spelling(given, stored):
    assert labels.normalize(given) == stored


def test_the_bound_counts_the_label_as_stored():
    assert labels.parse(PADDED_LABEL) == " ".join(["abcd"] * 20)
    assert labels.parse("x" * 100) == "x" * 100

    for too_long in ("x" * 101, FOLDED_LABEL):
        with pytest.raises(labels.LabelError, match="At most 100 characters"):
            labels.parse(too_long)


def test_the_rule_prints_the_bound():
    assert labels.RULE == (
        "Stored normalised (spaces collapsed, case folded), at most 100 "
        "characters."
    )
