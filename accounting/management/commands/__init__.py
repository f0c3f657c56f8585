"""``seed_demo`` and ``verify_ledger``."""
