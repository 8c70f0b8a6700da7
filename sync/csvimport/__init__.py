"""Reading shop back-office exports (CSV and XLSX): encodings, workbooks, column profiles,
status texts, and rows turned into order and warehouse-stage records.

The connector that imports them into the store is :mod:`sync.connectors.csv_drop`.
"""
