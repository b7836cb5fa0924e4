"""The case page's content, kept per process while nothing it shows can have changed (issue #18).

The case page judges the case, checks the shown entries against their hashes and the log's
checkpoint, and renders a long template: about 20 ms of CPU, against about 1 ms for the login
page. Its content (everything below the navigation) is a function of:

- the case's entries other than access entries — its last one, by sequence number and leaf hash
  (:meth:`~lawtrail.ledger.log.Ledger.case_head`: records, headers, media, documents, secrecy
  labels and grants, orders);
- whether the log's latest checkpoint, and its latest cosigned one, cover those entries (the
  账本验证 verdict: later checkpoints change nothing the page says; its 核验 page names sizes);
- the case's index row (its handler, archived) and the open drafts of the case;
- the viewer: who they are and their roles (what they may do, what they may see);
- the page of the timeline shown;
- the time: a deadline passing makes an item overdue, an access grant ends
  (:func:`expiry`) — and, for what nothing above captures (a colleague renamed), at most
  :data:`MAX_AGE`.

A view computes that key with a few indexed reads and, when the same key was rendered before
and has not expired, serves that content — after checking, on every view, that the entries it
shows are still stored as they were when it was rendered: each one's stored body hashed again
and compared with the leaf hash it had then (:func:`unchanged`). An insider's edit of a shown
entry (its body, or body and leaf hash together) therefore makes the view render afresh, and the
fresh rendering's verification shows the problem, as it would without the cache. The access
entry of the view is still written first (``case_for``).

The CSRF token of the content's forms is not kept: the content is rendered with a placeholder
that each view replaces with its own session's token.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from lawtrail.core import merkle, timeutil
from lawtrail.web import inbox_index, wiring
from lawtrail.web.models import CaseIndex, RecordDraft, User
from lawtrail.web.views.common import navigation

# Every entry type a case page shows or depends on: all but the access log's.
PAGE_TYPES = ("case", "record", "media", "document", "secrecy", "supervision", "review")
MAX_AGE = timedelta(seconds=30)
KEPT = 256  # contents per process (a few hundred KB of HTML), least recently used out
CSRF_PLACEHOLDER = "lawtrail-csrf-placeholder-5f1c0a"


@dataclass(frozen=True)
class Kept:
    html: str
    until: datetime
    agency: str
    # The shown entries (sequence number, leaf hash of the body as it was verified).
    entries: tuple[tuple[int, bytes], ...]


@dataclass(frozen=True)
class Content:
    """A rendering of the case page's content, what :func:`get_or_fill` keeps."""

    html: str
    until: datetime
    entries: tuple[tuple[int, bytes], ...]


_kept: OrderedDict[Hashable, Kept] = OrderedDict()
_lock = threading.Lock()


def key(index: CaseIndex, user: User, page: str | None, request: HttpRequest) -> Hashable:
    """What the case page's content depends on, besides the time (see the module's doc).

    Read in one statement with the log's state: the case's open drafts and the navigation's
    counts, kept on the request for the page's frame (issue #18)."""
    also = [_drafts_query(index.pk, "?")]
    counting = inbox_index.counts_query(user, timeutil.now(), "?")
    if counting is not None:
        also.append(counting)
    head, signed, cosigned, figures = wiring.ledger().case_state_with(
        index.agency_id, index.case_number, PAGE_TYPES, also
    )
    if counting is not None:
        inbox_index.keep_counts(request, (int(figures[3]), int(figures[4])))
    covers = head[0] + 1 if head is not None else 0
    return (
        index.pk,
        index.updated_at,
        index.handler_id,
        index.archived,
        head,
        min(signed, covers),
        min(cosigned, covers),
        tuple(figures[:3]),
        user.pk,
        user.agency_id,
        tuple(user.roles),
        user.is_active,
        page or "",
    )


def drafts_fingerprint(case_pk: int) -> tuple[object, ...]:
    """The case's open drafts as (count, last saved, newest id): any change of one — an
    autosave, a new one, one submitted or discarded — changes it. Written as SQL: the ORM's
    building of this aggregate cost a third of a millisecond on every view (issue #18)."""
    with connection.cursor() as cursor:
        cursor.execute(*_drafts_query(case_pk, "%s"))
        row = cursor.fetchone()
    return tuple(row)


def _drafts_query(case_pk: int, mark: str) -> tuple[str, list[Any]]:
    return (
        f"SELECT COUNT(*), MAX(updated_at), MAX(id) FROM {RecordDraft._meta.db_table} "
        f"WHERE case_id = {mark} AND submitted_at IS NULL AND discarded_at IS NULL",
        [case_pk],
    )


def unchanged(agency: str, entries: tuple[tuple[int, bytes], ...]) -> bool:
    """Whether every one of these entries is still stored with a body whose leaf hash is the
    one it had (one read of the shown entries, a hash of each: a fraction of a millisecond
    for a page of them)."""
    if not entries:
        return True
    expected = dict(entries)
    seqs = list(expected)
    rows = wiring.ledger().db.all(
        f"SELECT seq, body FROM ledger_entry WHERE agency = ? "
        f"AND seq IN ({', '.join('?' * len(seqs))})",
        [agency, *seqs],
    )
    if len(rows) != len(expected):
        return False
    for seq, body in rows:
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        if merkle.leaf_hash(data) != expected.get(int(seq)):
            return False
    return True


def _get(content_key: Hashable, now: datetime) -> Kept | None:
    with _lock:
        kept = _kept.get(content_key)
        if kept is None:
            return None
        if now >= kept.until:
            del _kept[content_key]
            return None
        _kept.move_to_end(content_key)
        return kept


def _put(content_key: Hashable, kept: Kept) -> None:
    with _lock:
        _kept[content_key] = kept
        _kept.move_to_end(content_key)
        while len(_kept) > KEPT:
            _kept.popitem(last=False)


def _drop(content_key: Hashable, kept: Kept) -> None:
    with _lock:
        if _kept.get(content_key) is kept:
            del _kept[content_key]


def expiry(now: datetime, moments: Iterable[datetime | None]) -> datetime:
    """When content rendered at ``now`` stops being what a new rendering would show: the first
    of ``moments`` still to come (a deadline, a judgement's end, an access grant's end), at the
    latest ``now`` + :data:`MAX_AGE`. A moment already past changed nothing it has not already
    changed (an item overdue stays overdue)."""
    coming = [m for m in moments if m is not None and m > now]
    return min([now + MAX_AGE, *coming])


_filling: dict[Hashable, threading.Lock] = {}


def get_or_fill(
    content_key: Hashable, agency: str, now: datetime, fill: Callable[[], Content]
) -> str:
    """The kept content for the key if its shown entries are unchanged, else ``fill()``'s
    (kept until the time it gives) — one rendering per key at a time in the process: the
    threads that ask for the same key while it renders wait for it instead of rendering it
    again (a new record seen by every viewer of the case at once)."""

    def current() -> str | None:
        kept = _get(content_key, now)
        if kept is None:
            return None
        if unchanged(kept.agency, kept.entries):
            return kept.html
        _drop(content_key, kept)  # a shown entry changed behind the application's back
        return None

    html = current()
    if html is not None:
        return html
    with _lock:
        filling = _filling.setdefault(content_key, threading.Lock())
    with filling:
        try:
            html = current()
            if html is None:
                content = fill()
                _put(content_key, Kept(content.html, content.until, agency, content.entries))
                html = content.html
            return html
        finally:
            with _lock:
                _filling.pop(content_key, None)


# The page around the content (header, navigation, footer), kept per viewer as well: rendering
# it cost more than half a millisecond a view (issue #18). It is a function of the viewer, the
# navigation's figures, the path and the page's title, all in its key.
_frames: OrderedDict[Hashable, str] = OrderedDict()
FRAME_SLOT = "<!-- lawtrail-content-slot-5f1c0a -->"


def framed(
    request: HttpRequest,
    user: User,
    template: str,
    context: dict[str, Any],
    title: Hashable,
    content: str,
) -> HttpResponse:
    """The page: ``template`` (which extends the base page and shows ``{{ content }}``) around
    ``content``, with this session's CSRF token in every form of both. The navigation's figures
    are read for every view; a page with a message to show, or a form's draft to drop, is
    rendered whole (those show once)."""
    nav = navigation(request)  # reads the figures (and takes the draft to drop, once)
    token = get_token(request)
    if nav.get("nav_draft_done") or len(messages.get_messages(request)):
        # Rendered whole; the figures just read are given (the context processor's are not
        # taken: it would find the draft to drop already taken).
        page = render_to_string(
            template, {**context, **nav, "content": mark_safe(content)}, request=request
        )
        return HttpResponse(page.replace(CSRF_PLACEHOLDER, token))
    frame_key = (
        user.pk,
        user.get_username(),
        user.display_name,
        user.is_staff,
        request.path,
        title,
        tuple(sorted(nav.items())),
    )
    with _lock:
        frame = _frames.get(frame_key)
        if frame is not None:
            _frames.move_to_end(frame_key)
    if frame is None:
        # Without the request: no context processor runs; what the base page reads of them is
        # given here (the user, the request's path, no message, the navigation's figures).
        frame = render_to_string(
            template,
            {
                **context,
                **nav,
                "request": request,
                "user": user,
                "messages": (),
                "csrf_token": CSRF_PLACEHOLDER,
                "content": mark_safe(FRAME_SLOT),
            },
        )
        with _lock:
            _frames[frame_key] = frame
            while len(_frames) > KEPT:
                _frames.popitem(last=False)
    before, _, after = frame.partition(FRAME_SLOT)
    page = "".join((before, content, after)).replace(CSRF_PLACEHOLDER, token)
    return HttpResponse(page)


def clear() -> None:
    """Forget every kept content and page (tests)."""
    with _lock:
        _kept.clear()
        _frames.clear()
