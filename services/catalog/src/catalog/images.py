"""The product pictures the package ships, held in memory: a few hundred kB in all."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

IMAGES = files("catalog") / "static" / "images"
MEDIA_TYPES = {".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Image:
    body: bytes
    media_type: str


class ImageStore:
    """Looks names up in what it loaded, never on disk: a request cannot walk out of the folder."""

    def __init__(self, directory: Traversable = IMAGES) -> None:
        self._images: dict[str, Image] = {}
        for entry in directory.iterdir():
            media_type = MEDIA_TYPES.get("." + entry.name.rpartition(".")[2])
            if entry.is_file() and media_type:
                self._images[entry.name] = Image(entry.read_bytes(), media_type)

    def get(self, name: str) -> Image | None:
        return self._images.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._images
