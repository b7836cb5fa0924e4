"""The agency's append-only ledger: storage, checkpoints, witnesses, verification."""
