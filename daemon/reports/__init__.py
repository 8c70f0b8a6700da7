"""Managers' reports: figures from the store (:mod:`sync.reports.model`) rendered as a
terminal table, CSV, JSON (:mod:`daemon.reports.formats`) or one HTML file with inline SVG
charts (:mod:`daemon.reports.html`); rule tuning from history (:mod:`daemon.reports.suggest`,
:mod:`daemon.reports.backtest`). The commands are in :mod:`daemon.reports.command`."""
