"""Pushing a tracking number to WooCommerce: a Shipment Tracking item, then status completed.

The Shipment Tracking extension's REST route ``/wp-json/wc-shipment-tracking/v3/orders/{id}/
shipment-trackings`` lists the order's tracking items (``GET``) and adds one (``POST`` with
``tracking_number``, ``date_shipped`` as ``YYYY-MM-DD`` and either ``tracking_provider`` or, when
the shop has the carrier's link, ``custom_tracking_provider`` and ``custom_tracking_link``).
Then ``PUT /wp-json/wc/v3/orders/{id}`` with ``status: completed`` marks the order shipped;
WooCommerce mails the customer on that change by itself.

A tracking number the order has already is not added again, so a push repeated after a failed
status update only updates the status. The source's consumer key and secret authenticate both
calls (HTTP Basic, or the query string with ``auth = "query"``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from sync.connectors.base import required
from sync.connectors.shop_writer import ShopWriter, first_message, short
from sync.errors import ConfigError, PayloadError, SourceAuthError, WriteRefused
from sync.http import CredentialsRefused
from sync.pushes import Pushed, TrackingPush

COMPLETED = "completed"


class WooCommerceWriter(ShopWriter):
    kind: ClassVar[str] = "woocommerce"

    def __init__(
        self,
        name: str,
        client: httpx.AsyncClient,
        settings: Any,
    ) -> None:
        super().__init__(name, client, settings)
        required(settings, ("url", "key", "secret"), self.where)
        site = settings["url"].rstrip("/")
        self.trackings = f"{site}/wp-json/wc-shipment-tracking/v3/orders"
        self.orders = f"{site}/wp-json/wc/v3/orders"
        self.auth = settings.get("auth") or "basic"
        if self.auth not in ("basic", "query"):
            raise ConfigError(f"{self.where}: auth must be basic or query")

    async def push_tracking(self, push: TrackingPush) -> Pushed:
        if not push.external_id.isdigit():
            raise WriteRefused(f"{push.external_id!r} is not a WooCommerce order id")
        where = f"{self.trackings}/{push.external_id}/shipment-trackings"
        listed = await self._call("GET", where)
        known = listed if isinstance(listed, list) else []
        have = {str(item.get("tracking_number")) for item in known if isinstance(item, dict)}
        added = push.tracking_number not in have
        if added:
            item = await self._call("POST", where, json=self._item(push))
            if not isinstance(item, dict) or not item.get("tracking_number"):
                raise PayloadError(f"{self.name}: the tracking item was not echoed back")
        order = await self._call(
            "PUT", f"{self.orders}/{push.external_id}", json={"status": COMPLETED}
        )
        status = order.get("status") if isinstance(order, dict) else None
        if status != COMPLETED:
            raise WriteRefused(f"{self.name}: the order stayed {status!r}, not completed")
        what = "tracking added, order completed" if added else "tracking was there; completed"
        return Pushed(added, f"{what} on WooCommerce")

    def _item(self, push: TrackingPush) -> dict[str, str]:
        item = {"tracking_number": push.tracking_number}
        if push.shipped_on:
            item["date_shipped"] = push.shipped_on  # omitted, the extension takes today
        if push.url:
            item["custom_tracking_provider"] = push.company or "Carrier"
            item["custom_tracking_link"] = push.url
        else:
            item["tracking_provider"] = push.company
        return item

    async def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        key, secret = self.settings["key"], self.settings["secret"]
        if self.auth == "query":
            kwargs["params"] = {"consumer_key": key, "consumer_secret": secret}
        else:
            kwargs["auth"] = (key, secret)
        try:
            response = await self.request(method, url, **kwargs)
        except CredentialsRefused as exc:
            raise SourceAuthError(
                f"{self.name}: consumer key or secret refused (HTTP {exc.status}); "
                "pushing tracking needs a read/write key"
            ) from None
        if response.status_code >= 400:
            try:
                words = first_message(response.json())
            except ValueError:
                words = short(response.text)
            raise WriteRefused(
                f"{self.name}: HTTP {response.status_code} from WooCommerce: {words}"
            )
        return self.json_body(response)
