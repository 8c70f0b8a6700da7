"""A believable shop on this machine: seeded orders that keep living, served over real HTTP in
the wire formats of Shopify's Admin GraphQL API and 17TRACK's v2.2 API, with injectable faults.

``Shop`` (``shop.py``) is the pure, seeded model; ``create_app`` (``app.py``) serves it;
``serve`` (``server.py``) runs that app on a loopback port for tests and the demo.
"""
