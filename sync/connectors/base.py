"""The two kinds of source a shop has, as small base classes.

An :class:`OrderSource` pages through a shop platform's orders incrementally: given the cursor
saved with the last page, it returns the next page and the cursor that resumes *after* it. The sync
engine saves that cursor in the same transaction as the page's rows, so a crash between pages
repeats at most one page, and upserts keyed by (source, external id) make the repeat harmless.

A :class:`TrackingProvider` follows parcels at a courier-tracking service.

Connectors get one shared ``httpx.AsyncClient`` (injected, never created here) and their settings
as plain strings (credentials already read from the environment by the daemon's config).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import httpx

from sync.domain import OrderRecord, TrackRecord


@dataclass(frozen=True, slots=True)
class OrderPage:
    orders: tuple[OrderRecord, ...]
    cursor: str
    """Where the next call resumes; saved with this page's rows."""
    more: bool
    """True when the source has more pages right now; False when caught up."""


@dataclass(frozen=True, slots=True)
class Parcel:
    tracking_number: str
    carrier: str
    """orderwatch's carrier code (``sf``, ``zto``, ``dhl`` …), empty when unknown."""


class OrderSource(ABC):
    kind: ClassVar[str]

    def __init__(self, name: str, client: httpx.AsyncClient, settings: Mapping[str, str]) -> None:
        self.name = name
        self.client = client
        self.settings = settings

    @abstractmethod
    async def fetch_page(self, cursor: str) -> OrderPage:
        """The page after ``cursor`` (``""`` for a first sync)."""


class TrackingProvider(ABC):
    kind: ClassVar[str]

    def __init__(self, name: str, client: httpx.AsyncClient, settings: Mapping[str, str]) -> None:
        self.name = name
        self.client = client
        self.settings = settings

    @abstractmethod
    async def register(self, parcels: Sequence[Parcel]) -> None:
        """Ask the provider to start following ``parcels`` (already followed ones are fine)."""

    @abstractmethod
    async def fetch_tracks(self, parcels: Sequence[Parcel]) -> list[TrackRecord]:
        """The current track of each parcel the provider knows."""
