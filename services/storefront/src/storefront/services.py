"""What the storefront does, free of Flask."""

from __future__ import annotations

from storefront.clients import ServiceDirectory


def status_collect(
    *, directory: ServiceDirectory, own_info: dict[str, object]
) -> list[dict[str, object]]:
    """Every service's /api/info with the time it took; a service that did not answer is listed
    as not ready with the reason."""
    rows: list[dict[str, object]] = [{**own_info, "latency_ms": 0.0, "error": None}]
    for result in directory.info_all():
        info = result.info or {}
        rows.append(
            {
                "name": result.name,
                "framework": info.get("framework"),
                "framework_version": info.get("framework_version"),
                "version": info.get("version"),
                "ready": bool(info.get("ready", False)),
                "latency_ms": result.latency_ms,
                "error": result.error,
            }
        )
    return rows
