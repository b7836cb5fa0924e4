"""Django's PostgreSQL backend with a health check that asks the server nothing
(:mod:`lawtrail.web.postgresql.base`)."""
