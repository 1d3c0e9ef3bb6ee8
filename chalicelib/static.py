"""The built storefront (frontend/dist), served by the app in the local stage so the page and
the API share one origin. Deployed stages serve the same files from S3."""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from chalice.app import Response

from chalicelib.config import get_settings
from chalicelib.errors import NotFound

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", re.ASCII)
BINARY_TYPES = ["image/png", "image/x-icon", "image/vnd.microsoft.icon", "image/webp", "font/woff2", "font/woff"]
_TEXT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


def _read(relative: str, cache_control: str) -> Response:
    root = get_settings().static_dir
    path = root / relative
    if not path.is_file():
        raise NotFound(
            "No such file"
            if relative != "index.html"
            else "The storefront is not built: run `make install` (or `npm --prefix frontend run build`)"
        )
    suffix = path.suffix.lower()
    headers: dict[str, str | list[str]] = {"Cache-Control": cache_control}
    if suffix in _TEXT_TYPES:
        headers["Content-Type"] = _TEXT_TYPES[suffix]
        return Response(body=path.read_text("utf-8"), headers=headers)
    headers["Content-Type"] = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Response(body=path.read_bytes(), headers=headers)


def index() -> Response:
    return _read("index.html", "no-cache")


def asset(name: str) -> Response:
    if not _SAFE_NAME.fullmatch(name) or ".." in name:
        raise NotFound("No such file")
    # Vite puts a content hash in every file name under assets/, so it never changes.
    return _read(str(Path("assets") / name), "public, max-age=31536000, immutable")


def root_file(name: str) -> Response:
    if not _SAFE_NAME.fullmatch(name) or ".." in name:
        raise NotFound("No such file")
    return _read(name, "public, max-age=3600")
