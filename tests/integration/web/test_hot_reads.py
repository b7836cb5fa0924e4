"""The reads every page makes, written as SQL (issue #18), answer as the ORM reads they replace:
the session, the session's user (with their agency and the second-factor device check), the
case's index row, its open drafts, the agency's name."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models import Count, Max
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp import user_has_device  # type: ignore[import-untyped]
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]

from lawtrail.web import pagecache, signin
from lawtrail.web.models import Agency, CaseIndex, RecordDraft, User
from lawtrail.web.sessions import SessionStore
from lawtrail.web.views.common import _case, agency_name

pytestmark = pytest.mark.django_db


def test_a_session_loads_as_djangos_own_store_loads_it(demo_users: object) -> None:
    store = SessionStore()
    store["who"] = "market.handler"
    store["n"] = [1, "二"]
    store.save()
    key = store.session_key
    assert (
        SessionStore(key).load()
        == DjangoStore(key).load()
        == {"who": "market.handler", "n": [1, "二"]}
    )
    # An unknown key and an expired session: nothing, and no key (the next save makes a new one).
    for session_key in ("x" * 32, key):
        if session_key == key:
            Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
        ours, django = SessionStore(session_key), DjangoStore(session_key)
        assert ours.load() == django.load() == {}
        assert ours.session_key is None and django.session_key is None
    # Data that does not verify (edited in the table): nothing, as Django's decode says.
    store = SessionStore()
    store["who"] = "x"
    store.save()
    Session.objects.filter(pk=store.session_key).update(session_data="forged:data")
    assert SessionStore(store.session_key).load() == DjangoStore(store.session_key).load() == {}


def test_the_device_check_answers_as_django_otp(demo_users: object) -> None:
    user = User.objects.get(username="market.handler")
    other = User.objects.get(username="market.reviewer")

    def both(who: User) -> tuple[bool, bool]:
        return signin.has_confirmed_device(who), bool(user_has_device(who, confirmed=True))

    assert both(user) == (False, False)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=False)
    assert both(user) == (False, False)  # not yet confirmed
    TOTPDevice.objects.create(user=other, name="phone", confirmed=True)
    assert both(user) == (False, False)  # someone else's
    device.confirmed = True
    device.save()
    assert both(user) == (True, True)
    assert both(other) == (True, True)


def test_the_drafts_fingerprint_changes_with_every_open_draft_and_only_those(
    demo_cases: object,
) -> None:
    index = CaseIndex.objects.get(case_number="通市监罚〔2026〕12号")
    author = User.objects.get(username="market.handler")

    def orm() -> tuple[object, ...]:
        found = RecordDraft.objects.filter(
            case=index, submitted_at__isnull=True, discarded_at__isnull=True
        ).aggregate(n=Count("id"), top=Max("id"))
        return found["n"], found["top"]

    seen = [pagecache.drafts_fingerprint(index.pk)]
    assert seen[0][0] == 0
    now = timezone.now()
    draft = RecordDraft.objects.create(
        case=index, kind="inquiry", author=author, data={}, created_at=now, updated_at=now
    )
    seen.append(pagecache.drafts_fingerprint(index.pk))
    draft.updated_at = now + timedelta(seconds=5)  # an autosave
    draft.save()
    seen.append(pagecache.drafts_fingerprint(index.pk))
    second = RecordDraft.objects.create(
        case=index, kind="inquiry", author=author, data={}, created_at=now, updated_at=now
    )
    seen.append(pagecache.drafts_fingerprint(index.pk))
    assert (seen[-1][0], seen[-1][2]) == orm() == (2, second.pk)
    draft.submitted_at = now + timedelta(seconds=9)
    draft.save()
    seen.append(pagecache.drafts_fingerprint(index.pk))
    second.discarded_at = now + timedelta(seconds=9)
    second.save()
    seen.append(pagecache.drafts_fingerprint(index.pk))
    # Each change changed it (the last: none open again, as at first — the same page).
    assert all(a != b for a, b in pairwise(seen)) and seen[-1] == seen[0]
    assert seen[-1][0] == orm()[0] == 0
    # Another case's draft does not touch this case's.
    other = CaseIndex.objects.exclude(pk=index.pk).first()
    assert other is not None
    RecordDraft.objects.create(
        case=other, kind="inquiry", author=author, data={}, created_at=now, updated_at=now
    )
    assert pagecache.drafts_fingerprint(index.pk) == seen[-1]


def test_the_navigation_names_the_agency_by_its_code(demo_users: object) -> None:
    agency = Agency.objects.get(code="tonghua-market")
    assert agency_name("tonghua-market") == agency.name != ""
    assert agency_name("no-such-agency") == ""


def _fields(instance: object) -> dict[str, object]:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}  # type: ignore[attr-defined]


def test_a_sessions_user_loads_as_the_orm_loads_it_with_agency_and_device(
    demo_users: object,
) -> None:
    """signin.UserBackend's one read gives Django's ModelBackend's user, field by field, with
    the agency's row and the device check already answered; a user without an agency, an
    inactive one, an unknown and a malformed id as ModelBackend answers them."""
    ours, django = signin.UserBackend(), ModelBackend()
    handler = User.objects.get(username="market.handler")
    TOTPDevice.objects.create(user=handler, name="phone", confirmed=True)
    inactive = User.objects.get(username="market.reviewer")
    inactive.is_active = False
    inactive.save()
    for username in ("market.handler", "market.officer", "supervisor", "admin", "market.reviewer"):
        pk = User.objects.get(username=username).pk
        loaded, expected = ours.get_user(str(pk)), django.get_user(str(pk))
        if expected is None:
            assert loaded is None, username
            continue
        assert loaded is not None
        assert _fields(loaded) == _fields(expected), username
        with CaptureQueriesContext(connection) as queries:
            agency = loaded.agency
            device = getattr(loaded, signin.DEVICE_AT_LOAD)
        assert not queries.captured_queries  # both came with the user
        if expected.agency is None:
            assert agency is None
        else:
            assert agency is not None and _fields(agency) == _fields(expected.agency)
        assert device == signin.has_confirmed_device(expected) == (username == "market.handler")
    assert ours.get_user("999999") is django.get_user("999999") is None
    assert ours.get_user("not-a-number") is None


def test_the_case_pages_index_row_loads_as_the_orm_loads_it(demo_cases: object) -> None:
    """The case page's row read as SQL: every field as the ORM gives it — times (text on
    SQLite), JSON, nulls — and no such case a 404."""
    for index in CaseIndex.objects.all():
        assert _fields(_case(index.pk, related=False)) == _fields(index)
    with pytest.raises(Http404):
        _case(999_999, related=False)


def test_a_sessions_second_read_brings_its_users_row_and_only_that_user_takes_it(
    demo_users: object,
) -> None:
    """The session remembered whom it named: its next read brings that user's row in the same
    statement, and the user's load that follows makes no query of its own — and gives what
    ModelBackend gives. A session read without it, another user, or a user deleted since:
    each read as before, with the right answer."""
    backend = signin.UserBackend()
    handler = User.objects.get(username="market.handler")
    officer = User.objects.get(username="market.officer")
    store = SessionStore()
    store[SESSION_KEY] = str(handler.pk)
    store.save()
    key = store.session_key
    assert SessionStore(key).load()[SESSION_KEY] == str(handler.pk)  # remembered
    with CaptureQueriesContext(connection) as queries:
        assert SessionStore(key).load()[SESSION_KEY] == str(handler.pk)
    assert len(queries.captured_queries) == 1  # the session and its user
    with CaptureQueriesContext(connection) as queries:
        loaded = backend.get_user(str(handler.pk))
    assert not queries.captured_queries
    assert loaded is not None and _fields(loaded) == _fields(ModelBackend().get_user(handler.pk))
    assert loaded.agency is not None and loaded.agency.pk == handler.agency_id
    # Taken once: the next load of the user reads it.
    with CaptureQueriesContext(connection) as queries:
        assert backend.get_user(str(handler.pk)) is not None
    assert len(queries.captured_queries) == 1
    # Another user than the one read ahead: read, right.
    SessionStore(key).load()
    other = backend.get_user(str(officer.pk))
    assert other is not None and other.pk == officer.pk
    # Read ahead, then another session read without it (a key never seen): not taken.
    SessionStore(key).load()
    SessionStore("y" * 32).load()
    with CaptureQueriesContext(connection) as queries:
        assert backend.get_user(str(handler.pk)) is not None
    assert len(queries.captured_queries) == 1
    # The user deleted since the session was last read: no row ahead, no user.
    SessionStore(key).load()
    gone = handler.pk
    handler.delete()
    assert SessionStore(key).load()[SESSION_KEY] == str(gone)
    assert backend.get_user(str(gone)) is None
