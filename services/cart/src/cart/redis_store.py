"""Carts in Redis: a hash per cart (`polyshop:cart:<user_id>`, SKU → quantity) and a sorted set
beside it (`polyshop:cart-order:<user_id>`) ranking SKUs by when they were first added.

Every write refreshes both keys' time to live, so a cart left alone for 30 days disappears. Writes
that read before they write run as Lua scripts, which Redis runs atomically.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import redis.exceptions

from cart.repository import CartLine, PutOutcome
from polykit.stores import unavailable_on

if TYPE_CHECKING:
    import redis.asyncio

CART_TTL_SECONDS = 30 * 24 * 60 * 60
down = unavailable_on(
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    store="cart",
    detail="Carts cannot be reached right now; try again shortly.",
)

# KEYS: the cart's hash, its order. ARGV: sku, quantity, max distinct SKUs, TTL in seconds.
_PUT = """
local cart, order = KEYS[1], KEYS[2]
local outcome = 'updated'
if redis.call('HEXISTS', cart, ARGV[1]) == 0 then
  if redis.call('HLEN', cart) >= tonumber(ARGV[3]) then
    return 'full'
  end
  local last = redis.call('ZRANGE', order, -1, -1, 'WITHSCORES')
  redis.call('ZADD', order, (tonumber(last[2]) or 0) + 1, ARGV[1])
  outcome = 'added'
end
redis.call('HSET', cart, ARGV[1], ARGV[2])
redis.call('EXPIRE', cart, ARGV[4])
redis.call('EXPIRE', order, ARGV[4])
return outcome
"""


class RedisCartStore:
    def __init__(
        self,
        client: redis.asyncio.Redis,
        *,
        prefix: str = "polyshop:",
        ttl_seconds: int = CART_TTL_SECONDS,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self._put = client.register_script(_PUT)

    def keys(self, user_id: str) -> tuple[str, str]:
        return f"{self.prefix}cart:{user_id}", f"{self.prefix}cart-order:{user_id}"

    @down
    async def lines(self, user_id: str) -> list[CartLine]:
        cart, order = self.keys(user_id)
        async with self.client.pipeline(transaction=True) as pipe:
            quantities, ranked = await pipe.hgetall(cart).zrange(order, 0, -1).execute()
        quantities = {sku.decode(): int(quantity) for sku, quantity in quantities.items()}
        skus = [sku.decode() for sku in ranked if sku.decode() in quantities]
        # Never expected, but an item missing from the order must still be shown.
        skus += sorted(quantities.keys() - set(skus))
        return [CartLine(sku=sku, quantity=quantities[sku]) for sku in skus]

    @down
    async def put(self, user_id: str, sku: str, quantity: int, *, max_lines: int) -> PutOutcome:
        outcome = await self._put(
            keys=list(self.keys(user_id)), args=[sku, quantity, max_lines, self.ttl_seconds]
        )
        return PutOutcome(outcome.decode())

    @down
    async def remove(self, user_id: str, sku: str) -> None:
        cart, order = self.keys(user_id)
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.hdel(cart, sku).zrem(order, sku)
            pipe.expire(cart, self.ttl_seconds).expire(order, self.ttl_seconds)
            await pipe.execute()

    @down
    async def clear(self, user_id: str) -> None:
        await self.client.delete(*self.keys(user_id))
