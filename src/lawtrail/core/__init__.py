"""The pure domain core: no Django, no database, no web.

Cases, record kinds, rule packs, the rule engine, deadlines and the working-day calendar.
Everything here is plain Python and testable in milliseconds; the import-linter contract in
pyproject.toml keeps framework code out.
"""
