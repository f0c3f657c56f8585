"""holder_get and holder_check_open: an open holder, or why not."""

import uuid

import pytest

from accounting import errors, selectors

pytestmark = pytest.mark.django_db


def test_holder_get(holder):
    assert selectors.holder_get(user_id=holder.pk) == holder
    with pytest.raises(errors.HolderNotReadyError):
        selectors.holder_get(user_id=uuid.uuid4())
    holder.closed_at = holder.created_at
    holder.save()
    with pytest.raises(errors.HolderClosedError):
        selectors.holder_get(user_id=holder.pk)


def test_holder_check_open_refuses_only_a_closed_holder(holder):
    selectors.holder_check_open(user_id=holder.pk)
    selectors.holder_check_open(user_id=uuid.uuid4())  # unknown: not closed
    holder.closed_at = holder.created_at
    holder.save()

    with pytest.raises(errors.HolderClosedError):
        selectors.holder_check_open(user_id=holder.pk)
