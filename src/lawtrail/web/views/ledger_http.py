"""The ledger's checkpoints, proofs, tiles and cosignatures over HTTP under
``/ledger/<agency>/…``: read-only (but a witness's cosignature), without login, hashes and
signatures only (lawtrail.ledger.http_api; docs/ledger-http.md). Nothing here is an access to
a case, so nothing is appended to the access log."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from lawtrail.ledger.http_api import LedgerHTTP
from lawtrail.web import wiring


@csrf_exempt
def ledger_endpoint(request: HttpRequest, agency: str, path: str) -> HttpResponse:
    method = request.method or "GET"
    body = request.body if method == "POST" else b""
    reply = LedgerHTTP(wiring.ledger()).handle(
        method, agency, path, request.META.get("QUERY_STRING", ""), body
    )
    response = HttpResponse(reply.body, status=reply.status, content_type=reply.content_type)
    response["Cache-Control"] = "no-store"
    response["Access-Control-Allow-Origin"] = "*"
    return response
