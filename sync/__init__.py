"""The headless core of orderwatch: domain types, the SQLite store and the source connectors.

Nothing here imports Textual, the daemon or the console (an import contract in pyproject.toml and
tests/test_imports.py hold that line).
"""
