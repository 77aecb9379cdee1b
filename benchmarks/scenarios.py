"""The load `make bench` applies, and the ramp that raises it step by step until the knee (errors,
or the p99 over a limit).

Journeys and checkouts are Locust, driven as a library, with single-minded users built from the
load generator's own shopper steps. The plain GETs (product page, catalog's product API, the bare
hello-world) go through wrk when it is installed: a Python load generator tops out near 2,000
requests/s on a core here, which a hello-world outruns, and every core the load takes is one the
store does not get. Without wrk they fall back to Locust, and the report says which tool ran.

Clients wait for nothing between requests: each is a closed loop, so a step's throughput is what
that many concurrent clients get out of the store.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import gevent
import httpx
from gevent.pool import Pool
from gevent.queue import Queue
from locust import FastHttpUser, between, constant, task
from locust.env import Environment
from stack import CpuMeter

from loadgen import store
from loadgen.journeys import Catalog, Shopper, ShopperSteps

PERCENTILES = (0.5, 0.95, 0.99)


@dataclass
class Step:
    """One window of steady load: `users` closed-loop clients for `seconds`."""

    config: str
    scenario: str
    users: int
    seconds: float
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    limit_ms: float
    tool: str = "locust"
    cpu: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def within_limits(self) -> bool:
        return self.failures == 0 and self.requests > 0 and self.p99_ms <= self.limit_ms


# --- accounts --------------------------------------------------------------------------------


def register_accounts(count: int, *, concurrency: int = 4) -> list[tuple[store.Account, float]]:
    """Accounts made before the load starts, so that no step pays for argon2 hashing."""

    def one(_: int) -> tuple[store.Account, float]:
        account = store.Account.new()
        users = store.url("users")
        body = {"email": account.email, "password": account.password, "name": account.name}
        httpx.post(f"{users}/api/users", json=body, timeout=30).raise_for_status()
        login = {"email": account.email, "password": account.password}
        response = httpx.post(f"{users}/api/tokens", json=login, timeout=30)
        response.raise_for_status()
        account.token = response.json()["access_token"]
        return account, time.monotonic()

    return list(Pool(concurrency).imap_unordered(one, range(count)))


def load_catalog() -> None:
    """The SKUs every user picks from, read once (not counted in any step)."""
    catalog = store.url("catalog")
    products = httpx.get(f"{catalog}/api/products", params={"page_size": 100}, timeout=10)
    categories = httpx.get(f"{catalog}/api/categories", timeout=10)
    products.raise_for_status()
    categories.raise_for_status()
    ShopperSteps.catalog = Catalog.from_api(products.json()["items"], categories.json()["items"])


# --- the users -------------------------------------------------------------------------------


class BenchUser(ShopperSteps, FastHttpUser):
    abstract = True
    wait_time = constant(0)
    default_headers = store.HEADERS
    # Set by the runner: the benchmark's own store.
    host = "http://127.0.0.1"
    accounts: ClassVar[Queue] = Queue()
    needs_account: ClassVar[bool] = False

    def on_start(self) -> None:
        self.rng = random.Random()  # noqa: S311 (which product, not a secret)
        self.urls = {name: store.url(name) for name in store.LOCAL_PORTS}
        self.cart: dict[str, int] = {}
        self.orders: list[str] = []
        if self.needs_account:
            self.account, self.logged_in_at = BenchUser.accounts.get()

    def on_stop(self) -> None:
        if self.needs_account:
            BenchUser.accounts.put((self.account, self.logged_in_at))


class CheckoutBuyer(BenchUser):
    """Puts one product in the cart and checks out with the good card, again and again."""

    needs_account = True

    @task
    def buy(self) -> None:
        self.set_quantity(self.rng.choice(self.known.skus), 1)
        self.place_order(store.GOOD_CARD, expect=201)


class ProductPageViewer(BenchUser):
    @task
    def view(self) -> None:
        self.page(f"/products/{self.rng.choice(self.known.skus)}", name="/products/[sku]")


class CatalogReader(BenchUser):
    @task
    def read(self) -> None:
        sku = self.rng.choice(self.known.skus)
        self.api("GET", "catalog", f"/api/products/{sku}", name="/api/products/[sku]", auth=False)


class HelloReader(BenchUser):
    hello_url: ClassVar[str] = ""

    @task
    def read(self) -> None:
        self.client.get(f"{self.hello_url}/hello", name="hello")


class WarmShopper(Shopper):
    """The load generator's own journeys, with short pauses: the warm-up."""

    wait_time = between(0.1, 0.5)


@dataclass(frozen=True)
class Scenario:
    name: str
    user: type[FastHttpUser]
    # Locust's stats entry the step is measured by: (method, name).
    method: str
    entry: str
    limit_ms: float
    # For wrk: the base URL and the paths to spread GETs over (None: Locust only).
    targets: Callable[[], tuple[str, list[str]]] | None = None


def _skus(service: str, template: str) -> Callable[[], tuple[str, list[str]]]:
    def targets() -> tuple[str, list[str]]:
        skus = ShopperSteps.catalog.skus if ShopperSteps.catalog else []
        return store.url(service), [template.format(sku=sku) for sku in skus]

    return targets


CHECKOUT = Scenario("checkout", CheckoutBuyer, "POST", "orders /api/orders", 500)
PRODUCT_PAGE = Scenario(
    "product page",
    ProductPageViewer,
    "GET",
    "storefront /products/[sku]",
    150,
    _skus("storefront", "/products/{sku}"),
)
CATALOG_API = Scenario(
    "catalog API",
    CatalogReader,
    "GET",
    "catalog /api/products/[sku]",
    150,
    _skus("catalog", "/api/products/{sku}"),
)
HELLO = Scenario(
    "bare FastAPI", HelloReader, "GET", "hello", 150, lambda: (HelloReader.hello_url, ["/hello"])
)
WARM_UP = Scenario("warm-up", WarmShopper, "", "Aggregated", 10_000)
WRK = shutil.which("wrk")
WRK_SCRIPT = Path(__file__).with_name("wrk.lua")


# --- the ramp --------------------------------------------------------------------------------


def ramp(
    scenario: Scenario,
    steps: list[int],
    *,
    config: str,
    seconds: float,
    settle: float,
    meter: CpuMeter,
    stop_at_knee: bool = True,
    on_step: Callable[[Step], None] = lambda step: None,
) -> list[Step]:
    """Run `steps` users in turn, each for `seconds` after `settle`; stop at the knee: the first
    step with a failure, or the second in a row with its p99 over the limit (one slow step on a
    busy machine is not yet a knee)."""
    if WRK and scenario.targets:
        return _wrk_ramp(
            scenario,
            steps,
            config=config,
            seconds=seconds,
            meter=meter,
            stop_at_knee=stop_at_knee,
            on_step=on_step,
        )
    environment = Environment(user_classes=[scenario.user], host=store.url("storefront"))
    runner = environment.create_local_runner()
    results: list[Step] = []
    try:
        for users in steps:
            runner.start(users, spawn_rate=max(users, 1) * 4)
            gevent.sleep(settle)
            environment.stats.reset_all()
            started = meter.sample()
            gevent.sleep(seconds)
            ended = meter.sample()
            step = _step(environment, scenario, config, users, ended[0] - started[0])
            step.cpu = CpuMeter.cores(started, ended)
            results.append(step)
            on_step(step)
            if stop_at_knee and past_the_knee(results):
                break
    finally:
        runner.quit()
    return results


def past_the_knee(steps: list[Step]) -> bool:
    last = steps[-1]
    if last.failures or not last.requests:
        return True
    return len(steps) >= 2 and not any(step.within_limits for step in steps[-2:])


def _step(
    environment: Environment, scenario: Scenario, config: str, users: int, elapsed: float
) -> Step:
    stats = environment.stats
    entry = (
        stats.total
        if scenario.entry == "Aggregated"
        else stats.get(scenario.entry, scenario.method)
    )
    p50, p95, p99 = (
        entry.get_response_time_percentile(p) if entry.num_requests else 0.0 for p in PERCENTILES
    )
    errors = [
        f"{error.method} {error.name}: {error.error} x{error.occurrences}"
        for error in stats.errors.values()
    ]
    return Step(
        config=config,
        scenario=scenario.name,
        users=users,
        seconds=elapsed,
        requests=entry.num_requests,
        # Any failed request counts, the cart's as much as the checkout's.
        failures=stats.total.num_failures,
        rps=entry.num_requests / elapsed,
        p50_ms=float(p50),
        p95_ms=float(p95),
        p99_ms=float(p99),
        limit_ms=scenario.limit_ms,
        errors=errors[:5],
    )


def _wrk_ramp(
    scenario: Scenario,
    steps: list[int],
    *,
    config: str,
    seconds: float,
    meter: CpuMeter,
    stop_at_knee: bool,
    on_step: Callable[[Step], None],
) -> list[Step]:
    assert WRK
    assert scenario.targets
    base, paths = scenario.targets()
    results: list[Step] = []
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as listing:
        listing.write("\n".join(paths) + "\n")
        listing.flush()
        for users in steps:
            command = [WRK, "-t1", f"-c{users}", f"-d{max(1, round(seconds))}s", "--timeout=5s"]
            command += ["-s", str(WRK_SCRIPT), base, "--", listing.name]
            # wrk's CPU is this process's children's: CpuMeter counts it as the load's.
            started = meter.sample()
            done = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
            ended = meter.sample()
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            elapsed = figures["duration_us"] / 1e6
            step = Step(
                config=config,
                scenario=scenario.name,
                users=users,
                seconds=elapsed,
                requests=figures["requests"],
                failures=figures["errors"] + figures["status_errors"],
                rps=figures["requests"] / elapsed,
                p50_ms=figures["p50_us"] / 1000,
                p95_ms=figures["p95_us"] / 1000,
                p99_ms=figures["p99_us"] / 1000,
                limit_ms=scenario.limit_ms,
                tool="wrk",
            )
            if step.failures:
                step.errors = [
                    f"wrk: {figures['errors']} socket errors, "
                    f"{figures['status_errors']} non-2xx/3xx answers"
                ]
            step.cpu = CpuMeter.cores(started, ended)
            results.append(step)
            on_step(step)
            if stop_at_knee and past_the_knee(results):
                break
    return results
