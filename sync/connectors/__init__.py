"""Source connectors, one module per vendor, found by kind through :data:`ORDER_SOURCES` and
:data:`TRACKING_PROVIDERS`."""
