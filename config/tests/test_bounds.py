from config import bounds


def test_every_bound_is_a_positive_length():
    names = [name for name in vars(bounds) if name.isupper()]

    assert "LABEL_MAX_LENGTH" in names
    assert all(
        isinstance(getattr(bounds, name), int) and getattr(bounds, name) > 0
        for name in names
    )


def test_the_default_page_is_within_the_maximum():
    assert 1 <= bounds.DEFAULT_PAGE_SIZE <= bounds.MAX_PAGE_SIZE
