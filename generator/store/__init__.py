"""The portfolio store: collection rounds in a real database (SQLite by default, PostgreSQL by URL).

    from generator.store import open_store
    with open_store(None) as store:            # $PBP_DATABASE, else the default file
        store.record_round("2026", portfolio)  # a collect result (generator.readback.collect.collect)
        store.rounds(); store.history(); store.figures("2026")

Data flows one way: returned files -> readback -> store -> history / portfolio / pages. The
store knows nothing of click or HTTP.
"""
from .api import (CSV_COLUMNS, Figure, FigureKey, PartnershipHistory, Recorded, RoundPoint, RoundSummary, Store, Submission,
                  iter_csv_rows, open_store)
from .db import ENV, StoreError, default_path, resolve_url

__all__ = ["CSV_COLUMNS", "ENV", "Figure", "FigureKey", "PartnershipHistory", "Recorded", "RoundPoint", "RoundSummary", "Store",
           "StoreError", "Submission", "default_path", "iter_csv_rows", "open_store", "resolve_url"]
