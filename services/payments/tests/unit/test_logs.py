"""No full card number or CVC reaches a log line: every line the service writes while charging
(at DEBUG, with SQL logging on as an operator might turn it on) goes through the JSON formatter
of production and is searched."""

from __future__ import annotations

import io
import logging
import re

import pytest
from payments_testing import DECLINED, INSUFFICIENT_FUNDS, VISA, card, charge_body

from polykit.logs import TraceContextFilter

CVC = "9731"
# Ids and times may contain any four digits by chance; the CVC can only hide outside them.
IDS_AND_TIMES = re.compile(
    r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|[0-9a-f]{32}"
    r"|\d{4}-\d{2}-\d{2}[ T][\d:.]+(Z|[+-]\d{2}:?\d{2})?|\d+\.\d+"
)


@pytest.fixture
def log_lines():
    from pythonjsonlogger.json import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s"))
    handler.addFilter(TraceContextFilter("payments"))
    root, sql = logging.getLogger(), logging.getLogger("sqlalchemy.engine")
    levels = root.level, sql.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    sql.setLevel(logging.INFO)  # statements and their parameters
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        sql.setLevel(levels[1])


def test_charges_log_brand_and_last4_but_never_the_number_or_cvc(api, log_lines):
    for number, key in ((VISA, "a"), (DECLINED, "b"), (INSUFFICIENT_FUNDS, "c")):
        body = charge_body(card=card(number, cvc=CVC))
        api.charge(body, key=key)
        api.charge(body, key=key)  # replayed
        api.charge(body | {"amount_cents": 1}, key=key)  # 422: another body
    api.charge(charge_body(card=card("4242424242424241", cvc=CVC)), key="d")  # Luhn
    api.charge(charge_body(card=card(VISA, cvc=CVC, exp_year=2020)), key="e")  # expired
    api.charge(charge_body(card=card(VISA, cvc=CVC + "0")), key="f")  # bad CVC
    text = log_lines.getvalue()

    assert "ending 4242" in text  # the charges were logged
    assert "ending 0002" in text
    assert "INSERT INTO payments" in text  # and so was their SQL, with its parameters
    for number in (VISA, DECLINED, INSUFFICIENT_FUNDS, "4242424242424241"):
        assert number not in text
        assert number[:12] not in text
    assert CVC not in IDS_AND_TIMES.sub("", text)
