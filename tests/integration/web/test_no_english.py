"""Chinese everywhere (issue #15): every page the demo roles can reach, every error page and every
API error is read for English words; only the allow-list below may appear.

The pages are found by following the links of each demo role from the home page (so a page no
role can reach is not a page), and every named route of the URL map must have been rendered at
least once, or be listed in NOT_PAGES with the reason it is not an HTML page.

What is read is what a user reads: the text of the page without its scripts and styles, and the
attributes a browser shows (placeholder, title, alt, aria-label, a button's value). Identifiers
in URLs, names of form fields and the like are not read, nor what a page marks
``translate="no"`` (a secret key to type into an app, a command to type). Django's admin
(/admin/, the system administrators' tool, with the models of django-axes and django-otp) is
not swept. Tokens with a digit in them (hashes, times, record numbers, token prefixes) are
data, not words.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from lawtrail.core import timeutil
from lawtrail.core.record_kinds import RECORD_KINDS, STAGE_LABELS
from lawtrail.evidence.filetypes import ALLOWED_EXTENSIONS
from lawtrail.web import actions, demo
from lawtrail.web.models import Agency, ApiToken, CaseIndex, CaseReview, User

pytestmark = pytest.mark.django_db

# Every ASCII word a user may read, each with its reason. Compared case-insensitively.
ALLOWED: dict[str, str] = {
    # the product's name, as in the title of the API
    "lawtrail": "the product's name",
    # file formats and protocols, which have no Chinese names in use
    "pdf": "file format",
    "docx": "file format",
    "xlsx": "file format",
    "zip": "file format",
    "json": "data format (the API, the case file format)",
    "csv": "file format",
    "mp4": "file format",
    "jpeg": "file format",
    "png": "file format",
    "api": "接口 is also used; API is how the documentation and the tokens are known",
    "url": "as written in addresses",
    "http": "protocol",
    "https": "protocol",
    "sha": "SHA-256, the name of the digest algorithm in the ledger and on receipts",
    "utc": "time standard",
    "bearer": "the Authorization scheme a client must type (接口令牌 page)",
    "authorization": "the HTTP header a client must type (接口令牌 page)",
    "csrf": "CSRF token: the header name X-CSRFToken in the API's documentation",
    "totp": "the second factor's standard, as authenticator apps name it",
    "otp": "as authenticator apps name it",
    "ios": "operating system named in the second-factor instructions",
    "android": "operating system named in the second-factor instructions",
    "rfc": "standards cited by number (RFC 3161 time-stamps)",
    "tsa": "time-stamp authority, as the standard names it",
    "gmt": "time zone as browsers show it",
    # programs named so that users find them (the second factor's apps, the program for DOCX)
    "word": "Microsoft Word: 生成Word, the program that opens the DOCX documents",
    "microsoft": "Microsoft Authenticator, an app for the second factor",
    "google": "Google Authenticator, an app for the second factor",
    "authenticator": "the apps' names (Microsoft/Google Authenticator)",
    "freeotp": "FreeOTP, an app for the second factor",
}

# Named routes that are not HTML pages, with the reason.
NOT_PAGES: dict[str, str] = {
    "logout": "POST only (a form in the top bar)",
    "token_revoke": "POST only",
    "login_otp": "only in the middle of a sign-in with a second factor",
    "record_receipt": "a JSON receipt file",
    "record_document": "POST only: generates a document",
    "document_file": "a PDF/DOCX download",
    "case_export": "a ZIP download",
    "media_file": "a media download",
    "media_upload": "POST only (the upload goes through the media page's script)",
    "order_answer": "rendered on the order page; its own URL takes the POST",
    "order_evidence": "an evidence download",
    "ledger_http": "the ledger's machine-readable endpoints (JSON, binary)",
    "admin_login": "redirects to the one sign-in page",
    "kept_form": "rendered by test_the_csrf_failure_pages_are_chinese",
    "home": "redirects to the inbox",
    "copy_file": "a PDF download (the issued copy, for a disc or a USB stick)",
    "copy_download": "the party's one-time PDF download (refusals: test_secrecy_and_copies)",
}

USERS = (
    "market.handler",
    "market.officer",
    "market.reviewer",
    "market.head",
    "market.legal",
    "market.archivist",
    "supervisor",
    "admin",
)
# Enough of each page (for each record kind, each record) without reading all of them.
PER_ROUTE = 3
MAX_PAGES = 1500
SKIP_PREFIXES = ("/static/", "/ledger/", "/favicon.ico", "/api/", "/admin/")

_SHOWN_ATTRIBUTES = ("placeholder", "title", "alt", "aria-label")
_TOKEN = re.compile(r"[A-Za-z0-9_]+(?:[.\-@/][A-Za-z0-9_]+)*")
# The media files' formats, named by their extensions on the upload form like PDF and DOCX.
MEDIA_FORMATS = frozenset(ALLOWED_EXTENSIONS)


class _Reader(HTMLParser):
    """The text a user reads, and the links of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0
        self._verbatim: tuple[str, int] | None = None  # inside an element marked translate="no"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "style", "template"):
            self._skip += 1
        if self._verbatim is not None and tag == self._verbatim[0]:
            self._verbatim = (tag, self._verbatim[1] + 1)
        elif self._verbatim is None and values.get("translate") == "no":
            self._verbatim = (tag, 1)
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        for name in _SHOWN_ATTRIBUTES:
            if values.get(name):
                self.parts.append(str(values[name]))
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1
        if self._verbatim is not None and tag == self._verbatim[0]:
            depth = self._verbatim[1] - 1
            self._verbatim = (tag, depth) if depth else None

    def handle_data(self, data: str) -> None:
        if not self._skip and self._verbatim is None:
            self.parts.append(data)


def read(html: str) -> tuple[str, list[str]]:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return " ".join(reader.parts), reader.links


def english(text: str, also_allowed: Iterable[str] = ()) -> set[str]:
    """The tokens of `text` holding an English word (3 or more ASCII letters) not allowed."""
    extra = {a.lower() for a in also_allowed}
    found: set[str] = set()
    for token in _TOKEN.findall(text):
        if any(c.isdigit() for c in token) or token.lower() in extra:
            continue
        words = [w for w in re.split(r"[_.\-@/]", token) if len(w) >= 3]
        if any(w.lower() not in ALLOWED and w.lower() not in MEDIA_FORMATS for w in words):
            found.add(token)
    return found


def route_names(patterns: Iterable[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in ("admin", "api"):
                continue  # Django's admin (translated by Django) and the API: see below
            yield from route_names(pattern.url_patterns, prefix)
        elif pattern.name:
            yield prefix + pattern.name


def route_of(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    name = match.view_name
    kind = match.kwargs.get("kind")
    return f"{name}:{kind}" if kind else name


def usernames() -> set[str]:
    return set(User.objects.values_list("username", flat=True))


class Sweep:
    def __init__(self) -> None:
        self.found: dict[str, set[str]] = defaultdict(set)
        self.rendered: set[str] = set()
        self.pages = 0
        self.allowed_data = usernames()
        # shared by the roles: a page already read for one role is read for another only while
        # its route has budget left (each role still reaches it: the routes are counted)
        self.per_route: dict[str, int] = defaultdict(int)

    def check(self, label: str, response: Any) -> list[str]:
        content_type = response.get("Content-Type", "")
        if not content_type.startswith("text/html"):
            return []
        text, links = read(response.content.decode())
        for word in english(text, self.allowed_data):
            self.found[word].add(label)
        self.pages += 1
        return links

    def crawl(self, client: Client, who: str) -> None:
        seen: set[str] = set()
        per_route = self.per_route
        queue = ["/"]
        while queue and self.pages < MAX_PAGES:
            url = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            response = client.get(url, follow=True)
            if response.status_code != 200:
                continue
            url = response.request["PATH_INFO"] + (
                "?" + response.request["QUERY_STRING"] if response.request["QUERY_STRING"] else ""
            )
            seen.add(url)
            route = route_of(urlsplit(url).path)
            if route is not None:
                self.rendered.add(route.split(":")[0])
            for link in self.check(f"{who} {url}", response):
                target = urljoin(url, link).split("#")[0]  # "#main" (跳到正文): the same page
                parts = urlsplit(target)
                if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                    continue
                if parts.path.startswith(SKIP_PREFIXES):
                    continue
                next_route = route_of(parts.path)
                if next_route is None or next_route in NOT_PAGES:
                    continue
                if per_route[next_route] >= PER_ROUTE or target in seen:
                    continue
                per_route[next_route] += 1
                queue.append(target)

    def visit(self, url: str, clients: dict[str, Client]) -> None:
        """A page no link leads to (reached through a form or a task): read as the first role
        that may see it."""
        for who, client in clients.items():
            response = client.get(url)
            if response.status_code == 200:
                self.check(f"{who} {url}", response)
                route = route_of(urlsplit(url).path)
                assert route is not None
                self.rendered.add(route.split(":")[0])
                return
        raise AssertionError(f"no demo role may see {url}")

    def report(self) -> str:
        return "\n".join(
            f"{word!r} on {len(pages)} page(s), e.g. {sorted(pages)[:3]}"
            for word, pages in sorted(self.found.items())
        )


def test_every_page_of_every_demo_role_is_in_chinese(
    demo_cases: None, login: Callable[[str], Client]
) -> None:
    clients = {username: login(username) for username in USERS}
    index = CaseIndex.objects.get(agency_id="tonghua-market", case_number="通市监罚〔2026〕12号")
    # a rectification order, so that the supervisor's order pages have one to show
    due = (timeutil.local_date(timeutil.now()) + timedelta(days=10)).isoformat()
    issued = clients["supervisor"].post(
        "/supervision/orders/new/",
        {
            "case": index.pk,
            "agency": index.agency_id,
            "category": "not_made",
            "text": "询问笔录未由当事人签名，限期补正并说明原因",
            "due": due,
        },
    )
    assert issued.status_code == 302, issued.content.decode()[:2000]
    # a party's 查阅/复制 request (issue #16), so that its page has one to show
    registered = clients["market.handler"].post(
        f"/cases/{index.pk}/copies/new/",
        {
            "name": "某公司",
            "mode": "copy",
            "received_via": "counter",
            "received_at": timeutil.local(timeutil.now()).strftime("%Y-%m-%dT%H:%M"),
            "items": [f"record:{actions.case_of(index).records[0].id}"],
        },
    )
    assert registered.status_code == 302, registered.content.decode()[:2000]
    # a 案卷评查 sampling with a scored sheet, so that the review pages have one to show
    demo.seed_review(User.objects.get(username="supervisor"))
    sweep = Sweep()
    sweep.crawl(Client(), "anonymous")
    for username, client in clients.items():
        sweep.crawl(client, username)
    # pages reached through a form or a task of the inbox rather than a link
    case = actions.case_of(index)
    approval = next(r for r in case.records if r.kind == "internal_approval")
    with_act = next(r for r in case.records if RECORD_KINDS[r.kind].role_acts)
    act = RECORD_KINDS[with_act.kind].role_acts[0].name
    sweep.visit(f"/cases/{index.pk}/approvals/{approval.id}/", clients)
    sweep.visit(f"/cases/{index.pk}/records/{with_act.id}/acts/{act}/", clients)
    sweep.visit(f"/cases/{index.pk}/archive/", clients)
    # the header change form (the demo's market cases are archived: closed to changes)
    opened = actions.do_open_case(
        User.objects.get(username="market.handler"),
        {
            "case_number": "通市监罚〔2026〕990号",
            "title": "某商店销售过期食品案",
            "acts": ["penalty"],
            "procedure": "general",
            "origin": "ex_officio",
            "opened_at": timeutil.now().isoformat(),
            "parties": [{"id": "p1", "name": "某商店"}],
        },
    )
    sweep.visit(f"/cases/{opened.pk}/change/", clients)
    # 案卷评查: the sampling form, and the scoring page of the demo's scored case (a re-score)
    sweep.visit("/supervision/reviews/sample/", clients)
    scored = CaseReview.objects.get()
    case_pk = CaseIndex.objects.get(agency_id=scored.agency_id, case_number=scored.case_number).pk
    sweep.visit(
        f"/supervision/reviews/samplings/{scored.sampling_id}/cases/{case_pk}/"
        f"?supersedes={scored.sheet_id}",
        clients,
    )
    # the API's documentation page (its Swagger UI is relabelled by script: see its own test)
    sweep.check("market.handler /api/docs", login("market.handler").get("/api/docs"))
    assert not sweep.found, "English on the pages:\n" + sweep.report()
    names = set(route_names(get_resolver().url_patterns))
    missing = names - sweep.rendered - set(NOT_PAGES)
    assert not missing, f"routes no demo role reached (add a link, or to NOT_PAGES): {missing}"
    assert sweep.pages > 60


@override_settings(ROOT_URLCONF="tests.integration.web.error_urls")
def test_the_error_pages_are_chinese(demo_cases: None, login: Callable[[str], Client]) -> None:
    sweep = Sweep()
    handler = login("market.handler")
    handler.raise_request_exception = False
    index = CaseIndex.objects.get(agency_id="tonghua-market", case_number="通市监罚〔2026〕12号")
    pages = {
        "400 bad host": Client().get("/", HTTP_HOST="not-our-host.example"),
        "400 suspicious": handler.get("/test-only/suspicious/"),
        "403": login("supervisor").get(f"/cases/{index.pk}/records/new/closure/"),
        "404 page": handler.get("/no-such-page/"),
        "404 case": handler.get("/cases/999999/"),
        "500": handler.get("/test-only/boom/"),
        "404 kept form": handler.get("/account/kept-form/"),
    }
    for label, response in pages.items():
        assert response.status_code in (400, 403, 404, 500), label
        assert sweep.check(label, response) is not None
    assert sweep.pages == len(pages)
    assert not sweep.found, "English on the error pages:\n" + sweep.report()


def test_the_csrf_failure_pages_are_chinese(demo_cases: None, demo_users: Any) -> None:
    sweep = Sweep()
    index = CaseIndex.objects.get(agency_id="tonghua-market", case_number="通市监罚〔2026〕12号")
    url = f"/cases/{index.pk}/records/new/closure/"
    typed = {"at": "2026-11-20T10:00", "f_reason": "整改完毕，结案"}
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(User.objects.get(username="market.handler"))
    sweep.check("CSRF signed in", signed_in.post(url, typed))
    sweep.check("CSRF no fields", signed_in.post("/logout/"))
    signed_out = Client(enforce_csrf_checks=True)
    sweep.check("CSRF signed out", signed_out.post(url, typed))
    sweep.check("CSRF sign-in form", signed_out.post("/login/", {"username": "x"}))
    assert signed_out.login(username="market.handler", password="lawtrail-demo")
    sweep.check("kept form", signed_out.get("/account/kept-form/"))
    assert sweep.pages == 5
    assert not sweep.found, "English on the CSRF pages:\n" + sweep.report()


# The API's own vocabulary, which a client must send as it is: the values an error lists as
# the valid ones (record kinds, stages), the HTTP methods and headers it names.
API_VOCABULARY = frozenset(
    [
        *RECORD_KINDS,
        *(str(getattr(stage, "value", stage)) for stage in STAGE_LABELS),
        *("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
        *("Content-Type", "application/json"),
    ]
)


def test_the_api_errors_are_chinese(demo_cases: None, demo_users: Any) -> None:
    _, key = ApiToken.issue(User.objects.get(username="market.handler"), "tests")
    bearer = Client(headers={"authorization": f"Bearer {key}"})
    market = CaseIndex.objects.get(agency_id="tonghua-market", case_number="通市监罚〔2026〕12号")
    other = CaseIndex.objects.filter(agency_id="benxi-hrss").first()
    assert other is not None
    records = f"/api/cases/{market.pk}/records"
    answers = {
        "400 malformed JSON": bearer.post(records, b'{"a" 1}', content_type="application/json"),
        "400 extra data": bearer.post(records, b"{} []", content_type="application/json"),
        "400 not an object": bearer.post(records, b"[]", content_type="application/json"),
        "400 validation": bearer.get("/api/cases?limit=abc&stage=nowhere"),
        "400 bad record": bearer.post(
            records, b'{"id": "x", "kind": "nothing"}', content_type="application/json"
        ),
        "401": Client().get("/api/cases"),
        "403": bearer.get(f"/api/cases/{other.pk}"),
        "404": bearer.get("/api/cases/999999"),
        "404 path": bearer.get("/api/nothing-here"),
        "405": bearer.delete(f"/api/cases/{market.pk}"),
        "415": bearer.post(records, b"x", content_type="text/plain"),
    }
    found: dict[str, set[str]] = defaultdict(set)
    for label, response in answers.items():
        assert response.status_code == int(label[:3]), (label, response.content)
        body = response.json()
        texts = [body["detail"], *(i["message"] for i in body.get("issues", []))]
        # what the client sent back to it (quoted) and the paths it asked for are its own
        said = re.sub(r"'[^']*'|(?<![A-Za-z])/\S*", " ", " ".join(texts))
        for word in english(said, API_VOCABULARY):
            found[word].add(label)
    assert not found, f"English in the API's errors: {dict(found)}"


ADMIN_SKIP = ("/admin/logout/", "/admin/r/", "/admin/jsi18n/")


def test_the_admin_pages_are_chinese(demo_cases: None, login: Callable[[str], Client]) -> None:
    """Django's admin (the system administrators' tool): its index, and for every model
    registered — the project's, django-axes' and django-otp's — the list, the add form, an
    object's change form, history and delete confirmation, reached by following the admin's
    own links, read like every other page."""
    from django.contrib import admin as django_admin

    from lawtrail.web.models import User as Staff

    assert Staff.objects.filter(username="admin", is_superuser=True).exists()
    client = login("admin")
    sweep = Sweep()
    # the agencies' codes are their ids (in the rule packs, the URLs), typed by administrators
    sweep.allowed_data |= set(Agency.objects.values_list("code", flat=True)) | set(ADMIN_ALLOWED)
    per_route: dict[str, int] = defaultdict(int)
    seen: set[str] = set()
    queue = ["/admin/"]
    models_seen: set[str] = set()
    while queue and sweep.pages < 400:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        match = resolve(urlsplit(url).path)
        if match.url_name.endswith("_changelist"):
            models_seen.add(match.url_name.removesuffix("_changelist"))
        for link in sweep.check(f"admin {url}", response):
            target = urljoin(url, link)
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or not parts.path.startswith("/admin/"):
                continue
            if parts.path.startswith(ADMIN_SKIP) or parts.query:
                continue
            try:
                name = resolve(parts.path).view_name
            except Resolver404:
                continue
            if per_route[name] >= 2 or parts.path in seen:
                continue
            per_route[name] += 1
            queue.append(parts.path)
    registered = {f"{m._meta.app_label}_{m._meta.model_name}" for m in django_admin.site._registry}
    assert registered <= models_seen, registered - models_seen
    assert any(m.startswith("axes_") for m in models_seen) and any(
        m.startswith("otp_") for m in models_seen
    ), models_seen
    assert not sweep.found, "English in the admin:\n" + sweep.report()


# Words of the admin that are not English text to translate, with the reason.
ADMIN_ALLOWED = {
    "control": "Django's Chinese: 按住 Control 键或 Mac 上的 Command 键来选择多项 (key names)",
    "mac": "the same sentence: the computer's name",
    "command": "the same sentence: the key's name",
    "ldap": "Django's Chinese: 例如单一登入或LDAP (a directory protocol's name)",
    "year": "the placeholder {year} an administrator types in a 案号格式",
    "unknown": "data: axes stores <unknown> as the browser of a client that sends none",
}
