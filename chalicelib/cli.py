"""Operator commands: ``python -m chalicelib.cli migrate|seed``. Run as a deploy step."""

from __future__ import annotations

import argparse
import sys

from chalicelib.config import PROJECT_ROOT


def migrate(revision: str = "head", *, database_url: str | None = None) -> None:
    """Upgrade the database at ``database_url`` (default: the app's DATABASE_URL)."""
    from alembic import command
    from alembic.config import Config

    alembic_config = Config(str(PROJECT_ROOT / "alembic.ini"))
    if database_url is not None:
        alembic_config.attributes["database_url"] = database_url
    command.upgrade(alembic_config, revision)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations (alembic upgrade head)")
    sub.add_parser("seed", help="insert the example catalogue and the test user if missing")
    args = parser.parse_args(argv)
    if args.command == "migrate":
        migrate()
        print("database is at the latest migration")
    else:
        from chalicelib.seed import seed

        print(f"seeded {seed()} new items")
    return 0


if __name__ == "__main__":
    sys.exit(main())
