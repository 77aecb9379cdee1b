"""POST /api/events and GET /api/notifications: who may call them, what they accept, and the
recent list they keep."""

from __future__ import annotations

import json
import uuid

from notifications_testing import NotificationsTestCase, event
from tornado.testing import gen_test

PROBLEM = "application/problem+json"


def problem(response, status: int) -> dict:
    assert response.code == status, response.body[:300]
    assert response.headers["Content-Type"] == PROBLEM
    return json.loads(response.body)


def fields(response) -> set[str]:
    return {error["field"] for error in problem(response, 422)["errors"]}


class TestPostingEvents(NotificationsTestCase):
    @gen_test
    async def test_an_event_is_accepted_once_and_then_reported_as_a_duplicate(self):
        body = event(str(uuid.uuid4()))
        first = await self.post_event(body)
        again = await self.post_event(body)
        assert (first.code, again.code) == (202, 202)
        assert json.loads(first.body) == {"event_id": body["event_id"], "status": "accepted"}
        assert json.loads(again.body) == {"event_id": body["event_id"], "status": "duplicate"}

    @gen_test
    async def test_a_repeated_event_is_listed_once(self):
        user_id, token = self.customer()
        body = event(user_id)
        for _ in range(3):
            await self.post_event(body)
        items = json.loads((await self.recent(token)).body)["items"]
        assert [item["event_id"] for item in items] == [body["event_id"]]

    @gen_test
    async def test_only_services_post_events(self):
        body = event(str(uuid.uuid4()))
        response = await self.post_event(body, headers={})
        assert problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        for roles in (("customer",), ("customer", "staff")):
            with self.subTest(roles=roles):
                response = await self.post_event(body, headers=self.bearer(*roles))
                assert "service" in problem(response, 403)["detail"]
        # Refused events were not kept: the service's first post is the accepted one.
        assert json.loads((await self.post_event(body)).body)["status"] == "accepted"


class TestBadInput(NotificationsTestCase):
    @gen_test
    async def test_missing_fields_are_each_named(self):
        assert fields(await self.post_event({})) == {"event_id", "user_id", "type", "data"}
        assert fields(await self.post_event(b"")) == {"event_id", "user_id", "type", "data"}

    @gen_test
    async def test_invalid_fields_are_named(self):
        good = event(str(uuid.uuid4()))
        cases = {
            "event_id": [42, "not-a-uuid", None],
            "user_id": ["alice", 7],
            "type": ["", "paid", "Order.Paid", "order paid", "order." + "x" * 70, 3],
            "data": [[], "paid", None, {"type": "spoofed"}, {"event_id": "x"}],
        }
        for field, values in cases.items():
            for value in values:
                with self.subTest(field=field, value=value):
                    assert fields(await self.post_event(good | {field: value})) == {field}

    @gen_test
    async def test_a_body_that_is_not_an_object_is_named_as_the_body(self):
        assert fields(await self.post_event(b"[1, 2]")) == {"body"}

    @gen_test
    async def test_malformed_json_is_400(self):
        for body in (b'{"event_id": ', b"\xff\xfe", b"[" * 10_000):
            with self.subTest(body=body[:12]):
                response = await self.post_event(body)
                expected = [{"field": "body", "message": "Malformed JSON."}]
                assert problem(response, 400)["errors"] == expected

    @gen_test
    async def test_an_oversized_body_is_413(self):
        body = event(str(uuid.uuid4()), note="x" * (1024 * 1024))
        problem(await self.post_event(body), 413)

    @gen_test
    async def test_refused_events_are_not_kept(self):
        user_id, token = self.customer()
        await self.post_event(event(user_id) | {"type": "Not A Type"})
        await self.post_event(event(user_id) | {"data": {"created_at": "yesterday"}})
        assert json.loads((await self.recent(token)).body) == {"items": []}


class TestRecentNotifications(NotificationsTestCase):
    @gen_test
    async def test_the_caller_sees_their_own_newest_first(self):
        alice, alice_token = self.customer()
        bob, bob_token = self.customer()
        posted = [event(alice), event(bob), event(alice, "order.payment_failed")]
        for body in posted:
            await self.post_event(body)
        response = await self.recent(alice_token)
        assert response.code == 200
        items = json.loads(response.body)["items"]
        assert [item["event_id"] for item in items] == [
            posted[2]["event_id"],
            posted[0]["event_id"],
        ]
        newest = items[0]
        assert newest.keys() == {"event_id", "type", "data", "created_at"}
        assert newest["type"] == "order.payment_failed"
        assert newest["data"] == posted[2]["data"]
        assert newest["created_at"].endswith("Z")
        bobs = json.loads((await self.recent(bob_token)).body)["items"]
        assert [item["event_id"] for item in bobs] == [posted[1]["event_id"]]

    @gen_test
    async def test_at_most_the_latest_50_are_kept(self):
        user_id, token = self.customer()
        posted = [event(user_id) for _ in range(55)]
        for body in posted:
            assert (await self.post_event(body)).code == 202
        items = json.loads((await self.recent(token)).body)["items"]
        assert [item["event_id"] for item in items] == [
            body["event_id"] for body in reversed(posted[5:])
        ]

    @gen_test
    async def test_only_customers_read_their_notifications(self):
        problem(await self.recent(None), 401)
        response = await self.http_client.fetch(
            self.get_url("/api/notifications"), headers=self.bearer("service"), raise_error=False
        )
        problem(response, 403)

    def test_openapi_documents_both_routes(self):
        document = json.loads(self.fetch("/openapi.json").body)
        events = document["paths"]["/api/events"]["post"]
        assert events["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/EventIn"
        }
        assert {"202", "401", "403", "413", "422"} <= events["responses"].keys()
        assert "200" in document["paths"]["/api/notifications"]["get"]["responses"]
        assert {"EventIn", "EventAccepted", "NotificationsOut"} <= document["components"][
            "schemas"
        ].keys()
