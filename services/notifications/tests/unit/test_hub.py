"""The Hub with fake sockets: who gets what, and what happens to a dead one."""

from __future__ import annotations

import asyncio

from tornado.testing import AsyncTestCase, gen_test
from tornado.websocket import WebSocketClosedError

from notifications.hub import Hub


class FakeSocket:
    """Records what it is sent; `dies` makes its writes fail now or, like Tornado's, later."""

    def __init__(self, dies: str | None = None) -> None:
        self.dies = dies
        self.received: list[str] = []
        self.closed_with: tuple[int | None, str | None] | None = None

    def write_message(self, message: str) -> asyncio.Future[None]:
        if self.dies == "at once":
            raise WebSocketClosedError()
        written = asyncio.get_running_loop().create_future()
        if self.dies == "mid-write":
            written.set_exception(WebSocketClosedError())
        else:
            self.received.append(message)
            written.set_result(None)
        return written

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        self.closed_with = (code, reason)


def joined(hub: Hub, user_id: str | None, socket: FakeSocket) -> FakeSocket:
    hub.join(socket)
    if user_id is not None:
        hub.identify(socket, user_id)
    return socket


class TestHub(AsyncTestCase):
    @gen_test
    async def test_a_message_goes_to_each_socket_of_its_user_only(self):
        hub = Hub()
        alice = [joined(hub, "alice", FakeSocket()) for _ in range(2)]
        bob = joined(hub, "bob", FakeSocket())
        anonymous = joined(hub, None, FakeSocket())
        assert hub.send("alice", "hello") == 2
        assert [socket.received for socket in alice] == [["hello"], ["hello"]]
        assert bob.received == anonymous.received == []
        assert hub.send("carol", "nobody home") == 0

    @gen_test
    async def test_a_dead_socket_is_dropped_and_the_others_still_receive(self):
        for dies in ("at once", "mid-write"):
            with self.subTest(dies=dies):
                hub = Hub()
                first = joined(hub, "alice", FakeSocket())
                joined(hub, "alice", FakeSocket(dies=dies))
                last = joined(hub, "alice", FakeSocket())
                hub.send("alice", "one")
                await asyncio.sleep(0)  # a failed write's callback runs on the loop's next turn
                assert hub.sockets_of("alice") == 2
                assert len(hub) == 2
                hub.send("alice", "two")
                assert first.received == last.received == ["one", "two"]

    @gen_test
    async def test_closing_all_reaches_sockets_that_never_authenticated(self):
        hub = Hub()
        sockets = [joined(hub, "alice", FakeSocket()), joined(hub, None, FakeSocket())]
        hub.close_all(1001, "server going away")
        assert [socket.closed_with for socket in sockets] == [(1001, "server going away")] * 2

    @gen_test
    async def test_the_hub_is_empty_once_every_socket_left(self):
        hub = Hub()
        sockets = [joined(hub, "alice", FakeSocket()), joined(hub, None, FakeSocket())]
        emptied = asyncio.ensure_future(hub.wait_empty())
        hub.leave(sockets[0])
        await asyncio.sleep(0)
        assert not emptied.done()
        hub.leave(sockets[1])
        hub.leave(sockets[1])  # leaving twice (a failed write, then on_close) is fine
        await emptied
        assert len(hub) == 0
        assert hub.sockets_of("alice") == 0
