"""The gauges of pools: what observers report is what is served."""

from config.metrics import pools
from config.tests.metrics.support import value


def test_upstream_pool_gauges():
    pools.upstream_pool_set("users", size=20, opened=3, in_use=1)
    assert value("savings_upstream_pool_size", upstream="users") == 20
    assert (
        value(
            "savings_upstream_pool_connections", upstream="users", state="open"
        )
        == 3
    )
    assert (
        value(
            "savings_upstream_pool_connections",
            upstream="users",
            state="in_use",
        )
        == 1
    )


def test_observers_run_with_each_observation():
    seen = []

    def observer():
        seen.append(1)

    pools.observer_add(observer)
    pools.observer_add(observer)  # once, however often added
    try:
        pools.observe("gateway")
        assert seen == [1]
    finally:
        pools._observers.remove(observer)
