"""The browser suite: the real platform, driven by a real headless Chromium.

One session starts the platform as the e2e suite does (``platform_up``:
fresh stores, migrations and demo data, the Procfile under the supervisor)
but on stores and ports of its own, so both suites can run at once:
PostgreSQL databases ``browser_users`` and ``browser_accounting``, the
RabbitMQ vhost ``savings_browser``, Redis databases 8 (the cache) and 9
(the channel layer), ports 18900-18902. ``BROWSER_INSTANCE`` N (0 to 2)
moves a second run beside the first (another worktree): ports 18900 + 10 N,
names suffixed ``_N``, Redis databases 8 + 2 N and 9 + 2 N.

Chromium is Debian's (``scripts/ensure-tools.sh`` installs it), launched by
Playwright through ``executable_path``: Playwright never downloads a
browser, and its driver (shipped inside the wheel) needs no network.

Fixtures: ``platform`` (the running stack), ``browser`` (one Chromium per
session), ``page`` (a fresh context per test: no cookie leaks from one test
to the next; a failing test leaves ``var/browser/failures/<test>.png``),
``staff`` (the demo account of both admins) and ``make_staff`` (more staff
accounts in both admins, as four-eyes approvals need). ``screenshot`` saves
named pictures for the README (``BROWSER_SCREENSHOTS=docs/images``).
"""

import contextlib
import dataclasses
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    Page,
    Playwright,
    expect,
    sync_playwright,
)
from playwright.sync_api import (
    Error as PlaywrightError,
)

from tests.conftest import (
    REPO_DIR,
    Stores,
    log_tail,
    manage,
    platform_up,
)

INSTANCE = int(os.environ.get("BROWSER_INSTANCE", "0"))
_SUFFIX = f"_{INSTANCE}" if INSTANCE else ""
STORES = Stores(
    users_db=f"browser_users{_SUFFIX}",
    accounting_db=f"browser_accounting{_SUFFIX}",
    vhost=f"savings_browser{_SUFFIX}",
    cache_db=8 + 2 * INSTANCE,
    channels_db=9 + 2 * INSTANCE,
)
PORT_BASE = 18900 + 10 * INSTANCE
GATEWAY_PORT, USERS_PORT, ACCOUNTING_PORT = (PORT_BASE + n for n in range(3))
RUN_DIR = (
    Path(os.environ.get("VAR_DIR", REPO_DIR / "var")).resolve()
    / f"browser{_SUFFIX}"
)
PROCS_LOG = RUN_DIR / "procs.log"
FAILURES_DIR = RUN_DIR / "failures"
SCREENSHOTS_DIR = Path(
    os.environ.get("BROWSER_SCREENSHOTS", RUN_DIR / "screenshots")
)

# What a page may take to answer a click or to show what a test expects
# (2 cores, several processes; ReDoc draws the whole schema at once).
ACTION_TIMEOUT_MS = 20_000
expect.set_options(timeout=ACTION_TIMEOUT_MS)
CHROMIUM_ARGS = [
    "--no-sandbox",  # root in CI's container: no user namespaces
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # Nothing but the pages under test goes out: no updates, no sync, no
    # field trials, no first-run pages.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
]


@dataclasses.dataclass(frozen=True)
class StaffUser:
    """A staff account, the same email and password in both admins."""

    email: str
    password: str


@dataclasses.dataclass(frozen=True)
class Platform:
    """The running platform, as the browser tests see it.

    Attributes:
        gateway: The gateway's origin (its API is under ``/api/v1``).
        users: The users service's origin (its admin is ``/admin/``).
        accounting: Accounting's origin (its admin is ``/admin/``).
        env: The environment every process runs with.
    """

    gateway: str
    users: str
    accounting: str
    env: dict[str, str]

    @property
    def api(self) -> str:
        """The public API's base URL."""
        return f"{self.gateway}/api/v1"

    def manage(self, settings: str, *args: str, **env: str) -> str:
        """Runs ``manage.py`` of one service on the suite's stores.

        Args:
            settings: ``users``, ``accounting`` or ``integration``.
            *args: The command and its arguments.
            **env: More variables for this command only.

        Returns:
            What the command printed.
        """
        done = manage({**self.env, **env}, settings, *args)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout


@pytest.fixture(scope="session")
def platform() -> Iterator[Platform]:
    """Starts the whole platform once per session and stops it at the end."""
    with platform_up(
        "browser",
        stores=STORES,
        run_dir=RUN_DIR,
        ports=(GATEWAY_PORT, USERS_PORT, ACCOUNTING_PORT),
        # Fewer processes than production: the machine has 2 cores and
        # one browser clicks at a time.
        GATEWAY_WORKERS="1",
        WEB_WORKERS="1",
        WEB_THREADS="4",
        WORKER_CONCURRENCY="2",
    ) as env:
        yield Platform(
            gateway=f"http://127.0.0.1:{GATEWAY_PORT}",
            users=f"http://127.0.0.1:{USERS_PORT}",
            accounting=f"http://127.0.0.1:{ACCOUNTING_PORT}",
            env=env,
        )


@pytest.fixture(scope="session")
def api(platform: Platform) -> Iterator[httpx.Client]:
    """An HTTP client for the public API (``/api/v1``)."""
    with httpx.Client(base_url=platform.api, timeout=30) as client:
        yield client


def chromium_path() -> str:
    """Debian's Chromium; the suite fails, never skips, without it."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is missing: run scripts/ensure-tools.sh")
    return path


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver (the node process inside the wheel)."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One headless Chromium for the session (contexts keep tests apart)."""
    chromium = playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


def _test_file_name(node_id: str) -> str:
    """A test's id as a file name: ``test_admins.py::test_x[a]`` ..."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", node_id.rsplit("/", maxsplit=1)[-1])


@pytest.fixture
def page(
    browser: Browser, request: pytest.FixtureRequest, platform: Platform
) -> Iterator[Page]:
    """A tab in a fresh context: no cookies, English, a laptop's screen.

    A failing test's last page is saved to ``var/browser/failures/``.
    """
    del platform  # started before the tab, so a page always has a server
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        FAILURES_DIR.mkdir(parents=True, exist_ok=True)
        path = FAILURES_DIR / f"{_test_file_name(request.node.nodeid)}.png"
        # A page too busy to be pictured must not hide why the test failed.
        with contextlib.suppress(PlaywrightError):
            tab.screenshot(path=str(path), full_page=True)
    context.close()


def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Saves a named picture of the page, for the README or a reviewer.

    Into ``var/browser/screenshots/`` unless ``BROWSER_SCREENSHOTS`` names
    another folder (``docs/images`` to refresh the README's pictures).

    Args:
        page: The tab, as the picture should show it.
        name: The file's name without ``.png`` (``accounting-account``).
        full_page: The whole page rather than the window.

    Returns:
        The file written.
    """
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def _staff_from_local_env() -> StaffUser:
    """The demo staff account ``seed_demo`` made from ``local.env``."""
    values = dict(
        line.split("=", 1)
        for line in (RUN_DIR / "local.env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    return StaffUser(values["STAFF_EMAIL"], values["STAFF_PASSWORD"])


@pytest.fixture(scope="session")
def staff(platform: Platform) -> StaffUser:
    """The demo superuser of both admins (``make seed``'s account)."""
    del platform  # seeded it
    return _staff_from_local_env()


# Each admin's staff account, made as each service makes its own: the
# users service through its sign-up service (so accounting hears of the
# user, as of any other), accounting as Django's own user model.
_USERS_STAFF = """
import os
from users import services
services.user_create(
    email=os.environ["NEW_STAFF_EMAIL"],
    password=os.environ["NEW_STAFF_PASSWORD"],
    is_staff=True,
    is_superuser=os.environ["NEW_STAFF_SUPERUSER"] == "1",
)
"""
_ACCOUNTING_STAFF = """
import os
from django.contrib.auth import get_user_model
email = os.environ["NEW_STAFF_EMAIL"]
get_user_model().objects.create_user(
    username=email,
    email=email,
    password=os.environ["NEW_STAFF_PASSWORD"],
    is_staff=True,
    is_superuser=os.environ["NEW_STAFF_SUPERUSER"] == "1",
)
"""


@pytest.fixture(scope="session")
def make_staff(platform: Platform) -> Callable[..., StaffUser]:
    """Makes staff accounts in both admins (a second approver, ...).

    Returns:
        ``make_staff(superuser=True)``: a new account with a fresh email
        and password, the same in both admins.
    """

    def make(*, superuser: bool = True) -> StaffUser:
        user = StaffUser(
            email=f"staff-{uuid.uuid4().hex[:10]}@example.com",
            password=f"Lantern-{uuid.uuid4().hex[:12]}-Quay",
        )
        env = {
            "NEW_STAFF_EMAIL": user.email,
            "NEW_STAFF_PASSWORD": user.password,
            "NEW_STAFF_SUPERUSER": "1" if superuser else "0",
        }
        # Side by side: two Django start-ups, one core each.
        with ThreadPoolExecutor(2) as pool:
            made = [
                pool.submit(
                    platform.manage, service, "shell", "-c", code, **env
                )
                for service, code in (
                    ("users", _USERS_STAFF),
                    ("accounting", _ACCOUNTING_STAFF),
                )
            ]
            for future in made:
                future.result()
        return user

    return make


def admin_log_in(page: Page, origin: str, user: StaffUser) -> None:
    """Logs in to an admin through its login form, as staff do.

    Args:
        page: The tab.
        origin: The service's origin (``platform.users``, ...).
        user: The staff account.
    """
    page.goto(f"{origin}/admin/login/?next=/admin/")
    page.get_by_label(re.compile("^(Email|Username)")).fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{origin}/admin/")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keeps each phase's report on the test (for ``page``'s screenshot).

    A failing test's report also gets the tail of the processes' log.
    """
    report = yield
    setattr(item, f"rep_{report.when}", report)
    if report.failed and PROCS_LOG.exists():
        report.sections.append(("platform log (tail)", log_tail(PROCS_LOG)))
    return report


def origin_requests(page: Page) -> list[str]:
    """Starts recording every URL the tab requests from now on.

    Args:
        page: The tab.

    Returns:
        The list the URLs are appended to, as the page asks for them.
    """
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen
