"""The part every store mixin shares: the database it talks to."""

from __future__ import annotations

from sync.store.db import Database


class StoreBase:
    def __init__(self, db: Database) -> None:
        self.db = db
