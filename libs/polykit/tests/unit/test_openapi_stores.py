from __future__ import annotations

from typing import ClassVar

from polykit.openapi import spec_from_docstrings
from polykit.settings import ServiceSettings
from polykit.stores import database_url, describe_store


class InventoryLike(ServiceSettings):
    service_name: ClassVar[str] = "inventory"


class InfoResource:
    def on_get(self, req, resp):
        """---
        summary: Who this is
        responses:
          "200":
            description: ok
            content:
              application/json:
                schema: {$ref: "#/components/schemas/ServiceInfo"}
        """


def info_view():
    """---
    get:
      responses:
        "200": {description: ok}
    """


def test_documents_come_from_docstrings_of_classes_and_functions():
    spec = spec_from_docstrings(
        title="t", version="1", paths={"/api/info": InfoResource, "/api/other": info_view}
    )
    assert spec["openapi"] == "3.1.0"
    assert spec["paths"]["/api/info"]["get"]["summary"] == "Who this is"
    assert "get" in spec["paths"]["/api/other"]
    assert {"ServiceInfo", "Problem", "FieldErrorModel"} <= set(spec["components"]["schemas"])


def test_sqlite_file_under_the_data_dir_by_default(tmp_path):
    settings = InventoryLike.from_env(data_dir=tmp_path / "data")
    url = database_url(settings)
    assert url.drivername == "sqlite+pysqlite"
    assert url.database == str((tmp_path / "data" / "inventory.db").resolve())
    assert (tmp_path / "data").is_dir()
    assert database_url(settings, driver_async=True).drivername == "sqlite+aiosqlite"
    assert describe_store(settings) == "sqlite"


def test_postgresql_urls_use_psycopg(tmp_path):
    settings = InventoryLike.from_env(database_url="postgresql://u:secret@db:5432/inventory")
    assert database_url(settings).drivername == "postgresql+psycopg"
    assert describe_store(settings) == "postgresql"
