"""Shared fixtures: the real servers the integration tests talk to."""

pytest_plugins = ["tests.dbfixtures", "tests.s3fixtures", "tests.tsafixtures"]
