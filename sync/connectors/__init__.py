"""Source connectors, one module per vendor, found by kind through :data:`ORDER_SOURCES` and
:data:`TRACKING_PROVIDERS`."""

from __future__ import annotations

from sync.connectors.aftership import AfterShipProvider
from sync.connectors.base import OrderSource, TrackingProvider
from sync.connectors.kuaidi100 import Kuaidi100Provider
from sync.connectors.shop_writer import ShopWriter
from sync.connectors.shopify_graphql import ShopifyGraphQLSource
from sync.connectors.shopify_push import ShopifyGraphQLWriter, ShopifyRestWriter
from sync.connectors.shopify_rest import ShopifyRestSource
from sync.connectors.track17 import Track17Provider
from sync.connectors.woocommerce import WooCommerceSource
from sync.connectors.woocommerce_push import WooCommerceWriter

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

SHOP_WRITERS: dict[str, type[ShopWriter]] = {
    ShopifyGraphQLWriter.kind: ShopifyGraphQLWriter,
    "shopify-graphql": ShopifyGraphQLWriter,
    ShopifyRestWriter.kind: ShopifyRestWriter,
    WooCommerceWriter.kind: WooCommerceWriter,
}
"""Order source kinds whose platform takes tracking numbers back (see :mod:`.shop_writer`)."""

__all__ = [
    "ORDER_SOURCES",
    "SHOP_WRITERS",
    "TRACKING_PROVIDERS",
    "OrderSource",
    "ShopWriter",
    "TrackingProvider",
]
