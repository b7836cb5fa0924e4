"""The access entries of one web request: refusals are written when it ends, with their reason.

:class:`lawtrail.web.middleware.AccessLogMiddleware` opens a scope per request; the views' case
look-ups (:mod:`lawtrail.web.views.common`) note which case and act the request is about, and
:func:`lawtrail.web.actions.do_log_access` keeps a refused access in the scope instead of
appending it at once — and, for a request that may change something (POST …), an allowed one
too. When the request ends the middleware writes what happened: the entries as they are, or —
when the act was refused (an exception the middleware or the API's handlers saw, or a 403 of a
view that looked a case up) — one refused entry with the reason the user was shown, in place of
the "allowed" read a POST noted before its refusal (an approval step refused after the page was
read is a refused approval step). One mechanism, so a refusal is logged once, as refused,
whichever view refused it. A read (GET) is appended at once, before the page is made: the page
shows the ledger with its own access in it.

Outside a request (the CLI, tests calling ``do_log_access`` directly) there is no scope and
entries are appended at once.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Access:
    user: Any  # lawtrail.web.models.User (not imported: this module sits below the models)
    agency: str
    case_number: str
    action: str
    target: str
    allowed: bool
    ip: str
    channel: str
    reason: str


@dataclass(frozen=True)
class Context:
    """The case and act a request is about, as the view looked the case up."""

    agency: str
    case_number: str
    action: str
    target: str
    channel: str


@dataclass
class Scope:
    defer_allowed: bool = False  # keep allowed accesses too (a request that may write)
    accesses: list[Access] = field(default_factory=list)
    context: Context | None = None
    refusal: str | None = None


_current: ContextVar[Scope | None] = ContextVar("lawtrail_access_scope", default=None)


def begin(*, defer_allowed: bool = False) -> Token[Scope | None]:
    return _current.set(Scope(defer_allowed=defer_allowed))


def end(token: Token[Scope | None]) -> Scope:
    scope = _current.get()
    _current.reset(token)
    return scope if scope is not None else Scope()


def current() -> Scope | None:
    return _current.get()


def note(context: Context) -> None:
    """The request is about this case and act (a refusal is logged against it)."""
    scope = _current.get()
    if scope is not None:
        scope.context = context
