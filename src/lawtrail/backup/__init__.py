"""Off-site backup and restore of the ledger and the evidence store (004 art. 14: 定期进行
异地备份; 000 art. 31–32: records archived and kept by named staff).

    lawtrail backup --to DEST        copy what is new since the last run, prove it consistent
    lawtrail restore --from DEST     bring an empty system back from the copy (--at RUN)

A backup is a second, write-once store (a directory or an S3-compatible bucket) laid out as

    runs/000001.json                               one manifest per run, chained by SHA-256
    ledger/<agency>/log.json                       the log row: origin, public key, creation
    ledger/<agency>/<from>-<to>-<run id>.jsonl     a segment: the entries [from, to) with every
                                                   column, the checkpoints, cosignatures and
                                                   RFC 3161 tokens new in that run
    keys/<agency>.vkey, keys/witnesses/*.vkey      the public keys (signing keys only on request)
    media/sha256/<hex[:2]>/<hex>                   every media file or document the ledger names

A run only ever adds files; a file it must create that already exists with other content is a
refusal, never an overwrite. See :mod:`lawtrail.backup.take` and :mod:`lawtrail.backup.restore`.
"""

from lawtrail.backup.errors import BackupError, BackupUnavailable

__all__ = ["BackupError", "BackupUnavailable"]
