"""The daemon's HTTP endpoint: webhook and push receivers, health, later the tracking page."""
