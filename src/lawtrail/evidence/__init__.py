"""The evidence store: content-addressed, write-once media files (issue #3)."""
