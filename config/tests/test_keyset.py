import pytest
from django.db.models import Q

from config import keyset


def test_a_falling_order_resumes_below_the_position_bound_first():
    assert keyset.after(ordering=("-at", "-id"), position=(5, 9)) == Q(
        at__lte=5
    ) & (Q(at__lt=5) | (Q(at=5) & Q(id__lt=9)))


def test_each_field_keeps_its_own_direction():
    assert keyset.after(
        ordering=("at", "-rank", "id"), position=(5, 2, 9)
    ) == Q(at__gte=5) & (
        Q(at__gt=5) | (Q(at=5) & (Q(rank__lt=2) | (Q(rank=2) & Q(id__gt=9))))
    )


@pytest.mark.parametrize(
    ("ordering", "position"),
    [((), ()), (("-at", "-id"), (5,)), (("-at",), (5, 9))],
)
def test_ordering_and_position_must_match(ordering, position):
    with pytest.raises(ValueError, match="same fields"):
        keyset.after(ordering=ordering, position=position)
