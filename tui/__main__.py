"""``orderwatch``: the agents' console."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

DEFAULT_DB = Path("data/orderwatch.db")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="orderwatch",
        description=(
            "The agents' console: the order queue, 'where is my order?' look-ups, and the "
            "escalations raised by the rules, on the database orderwatchd keeps. "
            "Press ? inside for the keys."
        ),
    )
    parser.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help=f"the database file (default: $ORDERWATCH_DB, else {DEFAULT_DB})",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="a file whose [console] table holds the console's settings and role views "
        "(default: ~/.config/orderwatch/console.toml when it exists)",
    )
    return parser.parse_args(argv)


def database_path(given: Path | None) -> Path:
    if given is not None:
        return given
    from_env = os.environ.get("ORDERWATCH_DB", "").strip()
    return Path(from_env) if from_env else DEFAULT_DB


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    path = database_path(args.db)
    if not path.is_file():
        print(
            f"orderwatch: no database at {path} (start orderwatchd, or pass --db PATH)",
            file=sys.stderr,
        )
        return 1
    from sync.errors import ConfigError
    from tui.app import OrderwatchApp  # Textual loads only when there is something to show.
    from tui.config import load_config

    try:
        config = load_config(args.config)
    except ConfigError as error:
        for problem in error.problems:
            print(f"orderwatch: {problem}", file=sys.stderr)
        return 1
    app = OrderwatchApp(path, config=config)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
