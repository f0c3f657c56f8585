"""What the metrics tests share: free ports, a scrape, a sample's value."""

import socket
import time
from collections.abc import Callable
from typing import TypeVar

import httpx
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families


def free_port() -> int:
    """Returns a port nothing listens on now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scrape(port: int) -> dict[tuple[str, frozenset], float]:
    """Returns every sample a metrics server serves, by name and labels."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(name: str, **labels: str) -> float:
    """Returns a sample of this process's registry, 0 if never set."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


T = TypeVar("T")


def wait_until(probe: Callable[[], T | None], *, timeout: float) -> T:
    """Returns the probe's first truthy answer; fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        answer = probe()
        if answer:
            return answer
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
