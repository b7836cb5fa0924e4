"""REST API (django-ninja) with OpenAPI at /api/docs. Owned by the API work of issue #4."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="执法留痕 LawTrail API", version="1", urls_namespace="api")
