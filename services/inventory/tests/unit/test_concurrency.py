"""Concurrency on the embedded store, a SQLite file, through the real app without gunicorn:
threads racing for the same units never drive `available` below zero nor hold an order twice.
The integration suite runs the same races on PostgreSQL."""

from __future__ import annotations

from inventory_testing import (
    race_for_a_basket_in_both_orders,
    race_for_the_last_units,
    race_of_sweepers,
    race_to_end_each_hold,
    race_to_reserve_one_order,
)


def test_twenty_buyers_for_five_units(app, issuer):
    race_for_the_last_units(app, issuer)


def test_baskets_listed_in_either_order(app, issuer):
    race_for_a_basket_in_both_orders(app, issuer)


def test_one_order_asked_ten_times_at_once(app, issuer):
    race_to_reserve_one_order(app, issuer)


def test_commit_and_release_racing_for_each_hold(app, issuer):
    race_to_end_each_hold(app, issuer)


def test_replicas_sweeping_together(app, issuer, clock, settings):
    race_of_sweepers(app, issuer, clock, settings)
