"""What the pages show of the supervisor's witness service (LAWTRAIL_WITNESS_URL): its alerts
and each log's last cosigned checkpoint, read over HTTP with a short timeout. A witness that
cannot be reached is a state of the page ("见证服务不可达"), never an error of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings

from lawtrail.core import timeutil
from lawtrail.web import wiring
from lawtrail.witness_service import client
from lawtrail.witness_service.alerts import KIND_LABELS

TIMEOUT = 2.0


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return timeutil.local(timeutil.parse_aware(value))
    except ValueError:
        return None


def witness_overview(agencies: dict[str, str]) -> dict[str, Any]:
    """The template context for the logs of ``agencies`` (code → name)."""
    url = getattr(settings, "LAWTRAIL_WITNESS_URL", None)
    ledger = wiring.ledger()
    origins = {ledger.origin(code): name for code, name in agencies.items()}
    context: dict[str, Any] = {"witness_url": url, "configured": url is not None}
    if url is None:
        return context
    try:
        data = client.witness_overview(url, timeout=TIMEOUT)
    except (client.FetchError, ValueError, TypeError) as exc:
        return {**context, "reachable": False, "error": str(exc)}
    logs = []
    for row in data["logs"]:
        if not isinstance(row, dict) or row.get("origin") not in origins:
            continue
        logs.append(
            {
                "agency": origins[row["origin"]],
                "origin": row["origin"],
                "cosigned_size": row.get("cosigned_size"),
                "cosigned_at": _time(row.get("cosigned_at")),
                "log_size": row.get("log_size"),
                "checkpoint_size": row.get("checkpoint_size"),
                "reachable": bool(row.get("reachable")),
                "error": row.get("error") or "",
                "unresolved_alerts": row.get("unresolved_alerts") or 0,
            }
        )
    alerts = []
    for item in data["alerts"]:
        if not isinstance(item, dict) or item.get("origin") not in origins:
            continue
        alerts.append(
            {
                "id": item.get("id"),
                "agency": origins[item["origin"]],
                "origin": item["origin"],
                "label": KIND_LABELS.get(str(item.get("kind")), str(item.get("kind"))),
                "message": str(item.get("message", "")),
                "raised_at": _time(item.get("raised_at")),
                "last_seen_at": _time(item.get("last_seen_at")),
                "count": item.get("count", 1),
                "resolved_at": _time(item.get("resolved_at")),
            }
        )
    unresolved = [a for a in alerts if a["resolved_at"] is None]
    followed = {row["origin"] for row in logs}
    missing = sorted(name for origin, name in origins.items() if origin not in followed)
    return {
        **context,
        "reachable": True,
        "witness": data["witness"],
        "logs": logs,
        "alerts": alerts,
        "unresolved": unresolved,
        "not_followed": missing,
    }
