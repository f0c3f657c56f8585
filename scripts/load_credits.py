"""Measures credits per second through the public API of a running stack.

Signs up one user per client thread, waits until each has its accounts,
then has every client POST /credits (1.00, a fresh Idempotency-Key each)
for a fixed time. Start the stack first, with limits that let the users in
and let one user credit faster than a person would
(``AUTH_THROTTLE_RATE=1000/min API_MONEY_RATE=1000000/min make run``),
then::

    .venv/bin/python scripts/load_credits.py CLIENTS SECONDS [GATEWAY_URL]

Traffic goes to the gateway given (default http://127.0.0.1:8000) only;
the run is bounded in time and stops by itself.
"""

import statistics
import sys
import threading
import time
import uuid

import httpx

PASSWORD = "correct horse battery staple"  # noqa: S105 (throwaway users)


def _user(api: str) -> str:
    """Signs up a fresh user and returns an access token once it is ready."""
    email = f"load-{uuid.uuid4().hex[:12]}@example.com"
    httpx.post(
        f"{api}/auth/signup", json={"email": email, "password": PASSWORD}
    )
    token = httpx.post(
        f"{api}/auth/token", json={"email": email, "password": PASSWORD}
    ).json()["access"]
    deadline = time.monotonic() + 30
    headers = {"Authorization": f"Bearer {token}"}
    while httpx.get(f"{api}/accounts", headers=headers).status_code != 200:
        if time.monotonic() > deadline:
            sys.exit("the user never reached accounting")
        time.sleep(0.05)
    return token


def main(clients: int, seconds: float, origin: str) -> None:
    """Runs the load and prints throughput and latency percentiles."""
    api = f"{origin}/api/v1"
    tokens = [_user(api) for _ in range(clients)]
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def run(token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(headers=headers, timeout=30) as client:
            while time.perf_counter() < stop:
                began = time.perf_counter()
                response = client.post(
                    f"{api}/credits",
                    json={"amount": "1.00"},
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                )
                with lock:
                    if response.status_code == 201:
                        latencies.append(time.perf_counter() - began)
                    else:
                        failures.append(response.status_code)

    threads = [threading.Thread(target=run, args=(t,)) for t in tokens]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    print(
        f"{clients} clients, {elapsed:.1f} s: {len(latencies)} credits "
        f"({len(latencies) / elapsed:.0f}/s), failures {len(failures)}, "
        f"p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main(
        int(sys.argv[1]),
        float(sys.argv[2]),
        sys.argv[3] if len(sys.argv) > 3 else "http://127.0.0.1:8000",
    )
