"""What the suites share: the contract every CartStore keeps, an in-memory store, and a client
for an app served over ASGI.

A store's test module subclasses `StoreContract` and provides a `store` fixture.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sanic import Sanic

from cart.repository import CartLine, PutOutcome


@asynccontextmanager
async def serving(app: Sanic) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client of `app`, started once as an ASGI server starts it (sanic-testing's ASGI
    client starts and stops the app around every request, ten times slower)."""
    to_app: asyncio.Queue[dict] = asyncio.Queue()
    from_app: asyncio.Queue[dict] = asyncio.Queue()
    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, to_app.get, from_app.put)
    )
    await to_app.put({"type": "lifespan.startup"})
    # Bounded: an app whose ASGI entry was replaced (sanic-testing does) never answers.
    async with asyncio.timeout(30):
        assert (await from_app.get())["type"] == "lifespan.startup.complete"
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cart.test") as client:
            yield client
    finally:
        await to_app.put({"type": "lifespan.shutdown"})
        await from_app.get()
        await lifespan


class InMemoryCartStore:
    """A CartStore in a dict, for tests that are about something else."""

    def __init__(self) -> None:
        self.carts: dict[str, dict[str, int]] = {}

    async def lines(self, user_id: str) -> list[CartLine]:
        return [CartLine(sku, quantity) for sku, quantity in self.carts.get(user_id, {}).items()]

    async def put(self, user_id: str, sku: str, quantity: int, *, max_lines: int) -> PutOutcome:
        cart = self.carts.setdefault(user_id, {})
        if sku in cart:
            cart[sku] = quantity
            return PutOutcome.UPDATED
        if len(cart) >= max_lines:
            return PutOutcome.FULL
        cart[sku] = quantity
        return PutOutcome.ADDED

    async def remove(self, user_id: str, sku: str) -> None:
        self.carts.get(user_id, {}).pop(sku, None)

    async def clear(self, user_id: str) -> None:
        self.carts.pop(user_id, None)


def _user() -> str:
    return str(uuid.uuid4())


def _skus(lines: list[CartLine]) -> list[str]:
    return [line.sku for line in lines]


@pytest.mark.anyio
class StoreContract:
    async def test_a_shopper_without_a_cart_has_no_items(self, store):
        assert await store.lines(_user()) == []

    async def test_items_keep_the_order_they_were_first_added_in(self, store):
        user = _user()
        assert await store.put(user, "B-2", 1, max_lines=50) is PutOutcome.ADDED
        assert await store.put(user, "A-1", 2, max_lines=50) is PutOutcome.ADDED
        assert await store.put(user, "B-2", 5, max_lines=50) is PutOutcome.UPDATED
        assert await store.lines(user) == [CartLine("B-2", 5), CartLine("A-1", 2)]

    async def test_removing_an_item_keeps_the_others_and_re_adding_puts_it_last(self, store):
        user = _user()
        for sku in ("A-1", "B-2", "C-3"):
            await store.put(user, sku, 1, max_lines=50)
        await store.remove(user, "A-1")
        await store.remove(user, "NOT-THERE")
        assert _skus(await store.lines(user)) == ["B-2", "C-3"]
        await store.put(user, "A-1", 3, max_lines=50)
        assert _skus(await store.lines(user)) == ["B-2", "C-3", "A-1"]

    async def test_clearing_empties_only_that_cart(self, store):
        mine, theirs = _user(), _user()
        await store.put(mine, "A-1", 1, max_lines=50)
        await store.put(theirs, "A-1", 4, max_lines=50)
        await store.clear(mine)
        await store.clear(_user())
        assert await store.lines(mine) == []
        assert await store.lines(theirs) == [CartLine("A-1", 4)]

    async def test_a_full_cart_refuses_a_new_sku_but_changes_its_own(self, store):
        user = _user()
        for sku in ("A-1", "B-2"):
            await store.put(user, sku, 1, max_lines=2)
        assert await store.put(user, "C-3", 1, max_lines=2) is PutOutcome.FULL
        assert await store.put(user, "B-2", 9, max_lines=2) is PutOutcome.UPDATED
        assert await store.lines(user) == [CartLine("A-1", 1), CartLine("B-2", 9)]

    async def test_concurrent_adds_to_one_cart_all_land(self, store):
        user = _user()
        skus = [f"SKU-{n:02}" for n in range(20)]
        await asyncio.gather(*(store.put(user, sku, 2, max_lines=50) for sku in skus))
        assert sorted(_skus(await store.lines(user))) == skus

    async def test_concurrent_adds_never_overfill_a_cart(self, store):
        user = _user()
        outcomes = await asyncio.gather(
            *(store.put(user, f"SKU-{n:02}", 1, max_lines=5) for n in range(12))
        )
        assert outcomes.count(PutOutcome.ADDED) == 5
        assert len(await store.lines(user)) == 5
