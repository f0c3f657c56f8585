"""The accounting service: plans, holders, accounts and the ledger."""
