"""The reads every page makes, written as SQL (issue #18), answer as the ORM reads they replace:
the session, the second-factor device check, the case's open drafts, the agency's name."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.db.models import Count, Max
from django.utils import timezone
from django_otp import user_has_device  # type: ignore[import-untyped]
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]

from lawtrail.web import pagecache, signin
from lawtrail.web.models import Agency, CaseIndex, RecordDraft, User
from lawtrail.web.sessions import SessionStore
from lawtrail.web.views.common import agency_name

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
