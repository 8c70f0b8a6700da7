"""Managers' report figures, as plain data every format and the console render.

:mod:`sync.reports.model` builds a daily, weekly or monthly report from the store;
:mod:`sync.reports.trials` adds the comparison of rules on trial and the agents' look-ups. The
daemon's ``orderwatchd report`` renders it as a table, CSV, JSON or HTML; the console's Reports
screen draws it with terminal cells.
"""
