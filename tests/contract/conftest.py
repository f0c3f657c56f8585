"""What the contract tests of both internal APIs share (pytest side).

Each test module runs under its own service's settings (``make contract``
gives ``--ds``); nothing here imports a service.
"""

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Names each Schemathesis item after its operation, as intended.

    pytest 9 builds an item's id from its ``originalname``, where
    Schemathesis 4 puts the bare function name, so every operation of a
    schema would report as ``test_api``. The id is rebuilt from the full
    name (``test_api[POST /internal/v1/users]``).
    """
    for item in items:
        if getattr(item, "operation_label", None) and "[" not in item.nodeid:
            item._id = item.parent.id.child(item.name)
