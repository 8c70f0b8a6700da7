"""orderwatchd: the long-running daemon and the admin commands.

It mirrors the shop's orders and parcels into the store, runs the rules in ``rules.toml``, and
serves the simulator for the demo. It builds on :mod:`sync` and never imports the console.
"""
