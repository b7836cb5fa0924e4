"""The two ways a backup or restore can fail, mapped to the CLI's exit codes."""


class BackupError(Exception):
    """A problem was found (exit 1): the source is not consistent with the backup, a backed-up
    file differs from what its manifest recorded, a file would have to be overwritten …
    The message (Chinese) names the agency, the sizes or the file."""


class BackupUnavailable(Exception):
    """The backup or restore cannot run (exit 2): the destination cannot be reached, the
    database is not empty for a restore, a setting is wrong. Chinese message."""
