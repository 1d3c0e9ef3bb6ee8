"""Gzip size of the built storefront (level 9, as frontend/scripts/size.mjs counts it)."""

from __future__ import annotations

import gzip
from typing import Any

from bench.environment import ROOT

DIST = ROOT / "frontend" / "dist"
BUDGET_BYTES = 60 * 1024


def run() -> dict[str, Any]:
    files = sorted(p for p in DIST.rglob("*") if p.suffix in (".js", ".mjs", ".css")) if DIST.is_dir() else []
    if not files:
        return {
            "js_gzip_bytes": None,
            "css_gzip_bytes": None,
            "total_gzip_bytes": None,
            "budget_bytes": BUDGET_BYTES,
            "note": "frontend/dist holds no build: run `make install` or `npm --prefix frontend run build`",
        }
    sizes = {"js": 0, "css": 0}
    raw = 0
    for path in files:
        data = path.read_bytes()
        raw += len(data)
        sizes["css" if path.suffix == ".css" else "js"] += len(gzip.compress(data, compresslevel=9, mtime=0))
    return {
        "js_gzip_bytes": sizes["js"],
        "css_gzip_bytes": sizes["css"],
        "total_gzip_bytes": sizes["js"] + sizes["css"],
        "raw_bytes": raw,
        "budget_bytes": BUDGET_BYTES,
        "files": len(files),
    }
