"""Source connectors, one module per vendor, found by kind through :data:`ORDER_SOURCES` and
:data:`TRACKING_PROVIDERS`."""

from __future__ import annotations

from sync.connectors.aftership import AfterShipProvider
from sync.connectors.base import OrderSource, TrackingProvider
from sync.connectors.kuaidi100 import Kuaidi100Provider
from sync.connectors.shopify_graphql import ShopifyGraphQLSource
from sync.connectors.shopify_rest import ShopifyRestSource
from sync.connectors.track17 import Track17Provider
from sync.connectors.woocommerce import WooCommerceSource

ORDER_SOURCES: dict[str, type[OrderSource]] = {
    ShopifyGraphQLSource.kind: ShopifyGraphQLSource,
    "shopify-graphql": ShopifyGraphQLSource,
    ShopifyRestSource.kind: ShopifyRestSource,
    WooCommerceSource.kind: WooCommerceSource,
}
TRACKING_PROVIDERS: dict[str, type[TrackingProvider]] = {
    Track17Provider.kind: Track17Provider,
    AfterShipProvider.kind: AfterShipProvider,
    Kuaidi100Provider.kind: Kuaidi100Provider,
}

__all__ = ["ORDER_SOURCES", "TRACKING_PROVIDERS", "OrderSource", "TrackingProvider"]
