"""Create the example items and the test user (idempotent). Uses DATABASE_URL like the app."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["seed"]))
