"""Django reads its settings once per process: point them at a scratch DATA_DIR before any test
module imports Django code."""

from __future__ import annotations

import os
import shutil
import tempfile

import django

_data_dir = tempfile.mkdtemp(prefix="polyshop-orders-tests-")


def pytest_configure(config):
    os.environ["DJANGO_SETTINGS_MODULE"] = "orders.settings"
    os.environ["DATA_DIR"] = _data_dir
    os.environ.pop("DATABASE_URL", None)
    django.setup()


def pytest_unconfigure(config):
    shutil.rmtree(_data_dir, ignore_errors=True)
