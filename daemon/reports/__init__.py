"""Managers' reports: figures from the store (:mod:`daemon.reports.model`) rendered as a
terminal table, CSV, JSON (:mod:`daemon.reports.formats`) or one HTML file with inline SVG
charts (:mod:`daemon.reports.html`)."""
