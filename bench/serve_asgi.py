"""Serve a comparison app (the ceiling or scim2-server) with `enlist serve`'s uvicorn settings.

Usage: python bench/serve_asgi.py MODULE:ATTR PORT [--factory]
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn

from enlist.cli.server import uvicorn_options
from enlist.config import Settings

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    target, port = sys.argv[1], int(sys.argv[2])
    uvicorn.run(
        target,
        host="127.0.0.1",
        port=port,
        factory="--factory" in sys.argv,
        **uvicorn_options(Settings()),
    )
