"""The ledger: appending receipts (the only writer), reading, exporting, retention
and the transparency log's storage.
"""
