"""Registration through the API: the account a shopper gets, and every way the input is refused."""

from __future__ import annotations

import io
import uuid

import pytest
import webtest
from users_testing import PASSWORD, FakeClock, register, users_app

from users.settings import UsersSettings

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def refusing_app(tmp_path_factory):
    """One app for the tests whose requests are all refused: nothing they do leaves a trace."""
    settings = UsersSettings.from_env(data_dir=tmp_path_factory.mktemp("users"))
    return users_app(settings, clock=FakeClock())


def test_registering_answers_the_new_account(app):
    response = register(app, email="  Ann@Example.COM ", name="  Ann Smith ", status=201)
    account = response.json
    assert uuid.UUID(account["id"])
    assert account["email"] == "ann@example.com"
    assert account["name"] == "Ann Smith"
    assert account["roles"] == ["customer"]
    assert account["created_at"].endswith("Z")
    assert "password" not in response.text
    assert PASSWORD not in response.text


def test_an_email_is_taken_whatever_its_case(app):
    register(app, email="ann@example.com", status=201)
    response = register(app, email="ANN@example.com", status=409)
    assert response.content_type == PROBLEM
    assert response.json["errors"] == [{"field": "email", "message": "is already registered"}]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email": None}, "email", "is required"),
        ({"password": None}, "password", "is required"),
        ({"name": None}, "name", "is required"),
        ({"email": 42}, "email", "must be a string"),
        ({"password": ["secret123"]}, "password", "must be a string"),
        ({"name": {"first": "Ann"}}, "name", "must be a string"),
        ({"email": "not-an-email"}, "email", "must be an email address"),
        ({"email": "a@" + "x" * 260}, "email", "must be at most 254 characters"),
        ({"password": "short"}, "password", "must be at least 8 characters"),
        ({"password": "p" * 129}, "password", "must be at most 128 characters"),
        ({"name": ""}, "name", "must not be empty"),
        ({"name": "   "}, "name", "must not be blank"),
        ({"name": "n" * 101}, "name", "must be at most 100 characters"),
    ],
)
def test_bad_input_is_422_naming_the_field(refusing_app, change, field, message):
    body = {"email": "ann@example.com", "password": PASSWORD, "name": "Ann"} | change
    body = {key: value for key, value in body.items() if value is not None}
    response = refusing_app.post_json("/api/users", body, status=422)
    assert response.content_type == PROBLEM
    assert response.json["errors"] == [{"field": field, "message": message}]


def test_every_bad_field_is_named_at_once(refusing_app):
    response = refusing_app.post_json("/api/users", {"email": 1, "password": "x"}, status=422)
    assert {e["field"] for e in response.json["errors"]} == {"email", "password", "name"}


def test_a_refused_password_is_never_echoed(refusing_app, caplog):
    response = register(refusing_app, password="hunter2", status=422)
    assert "hunter2" not in response.text
    assert "hunter2" not in caplog.text


def test_malformed_json_is_400(refusing_app):
    response = refusing_app.post(
        "/api/users", '{"email": ', content_type="application/json", status=400
    )
    assert response.content_type == PROBLEM
    assert response.json["errors"] == [{"field": "body", "message": "is not valid JSON"}]


@pytest.mark.parametrize("path", ["/api/users", "/api/tokens"])
def test_a_body_that_is_not_utf8_is_400(refusing_app, path):
    response = refusing_app.post(path, b"\x10\xf6", content_type="application/json", status=400)
    assert response.content_type == PROBLEM
    assert response.json["errors"] == [{"field": "body", "message": "is not valid JSON"}]


@pytest.mark.parametrize("body", ["[]", '"ann"', "null"])
def test_a_body_that_is_not_an_object_is_422(refusing_app, body):
    response = refusing_app.post("/api/users", body, content_type="application/json", status=422)
    assert response.json["errors"][0]["field"] == "body"


def test_a_missing_body_is_422(refusing_app):
    response = refusing_app.post("/api/users", "", content_type="application/json", status=422)
    assert response.json["errors"][0]["field"] == "body"


def test_a_form_post_is_415(refusing_app):
    response = refusing_app.post("/api/users", {"email": "ann@example.com"}, status=415)
    assert response.content_type == PROBLEM


def test_an_oversized_body_is_413(refusing_app):
    huge = {"email": "ann@example.com", "password": PASSWORD, "name": "x" * (70 * 1024)}
    response = refusing_app.post_json("/api/users", huge, status=413)
    assert response.content_type == PROBLEM
    assert "64 KiB" in response.json["detail"]


def test_an_oversized_chunked_body_is_413(refusing_app):
    """No Content-Length to go by: the body is read only up to the limit."""
    body = b'{"name": "' + b"x" * (70 * 1024) + b'"}'
    request = webtest.TestRequest.blank("/api/users", method="POST")
    request.environ.pop("CONTENT_LENGTH", None)
    request.environ.update(
        {
            "CONTENT_TYPE": "application/json",
            "HTTP_TRANSFER_ENCODING": "chunked",
            "wsgi.input": io.BytesIO(body),
            "wsgi.input_terminated": True,
        }
    )
    response = refusing_app.request(request, status=413)
    assert response.content_type == PROBLEM
