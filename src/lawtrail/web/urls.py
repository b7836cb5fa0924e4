"""URL map. Every page needs a login (but the ledger's read-only /ledger/… endpoints, hashes and
signatures only); each view checks the agency of what it shows."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from lawtrail.web.api import api
from lawtrail.web.views import (
    account,
    cases,
    common,
    dashboard,
    documents,
    errors,
    inbox,
    ledger_http,
    media,
    orders,
    report,
    reviews,
    secrecy,
    supervision,
)

urlpatterns = [
    path("", common.home, name="home"),
    path("login/", account.SignInView.as_view(), name="login"),
    path("login/otp/", account.login_otp, name="login_otp"),
    path("logout/", account.SignOutView.as_view(), name="logout"),
    path("account/", account.account, name="account"),
    path("account/password/", account.password_change, name="password_change"),
    path("account/otp/", account.otp_enrol, name="otp_enrol"),
    path("account/tokens/", account.tokens, name="tokens"),
    path("account/tokens/<int:token_id>/revoke/", account.token_revoke, name="token_revoke"),
    # A form refused by the CSRF check while signed out, given back after signing in again.
    path("account/kept-form/", errors.kept_form, name="kept_form"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("cases/", cases.case_list, name="case_list"),
    path("cases/new/", cases.case_new, name="case_new"),
    path("cases/<int:pk>/", cases.case_detail, name="case_detail"),
    path("cases/<int:pk>/change/", cases.case_change, name="case_change"),
    path("cases/<int:pk>/verification/", cases.case_verification, name="case_verification"),
    path("cases/<int:pk>/records/new/<slug:kind>/", cases.record_new, name="record_new"),
    path("cases/<int:pk>/records/<str:record_id>/", cases.record_detail, name="record_detail"),
    path(
        "cases/<int:pk>/records/<str:record_id>/receipt/",
        documents.record_receipt,
        name="record_receipt",
    ),
    path(
        "cases/<int:pk>/records/<str:record_id>/document/<str:format>/",
        documents.record_document,
        name="record_document",
    ),
    path("cases/<int:pk>/documents/<str:sha256>/", documents.document_file, name="document_file"),
    path("cases/<int:pk>/archive/", documents.case_archive, name="case_archive"),
    path("cases/<int:pk>/export/", documents.case_export, name="case_export"),
    path("cases/<int:pk>/approvals/<str:record_id>/", inbox.approval_step, name="approval_step"),
    path(
        "cases/<int:pk>/records/<str:record_id>/acts/<str:act>/",
        inbox.role_act,
        name="role_act",
    ),
    path("cases/<int:pk>/media/", media.media_page, name="media_page"),
    path("cases/<int:pk>/media/upload/", media.media_upload, name="media_upload"),
    path("cases/<int:pk>/media/<str:sha256>/", media.media_file, name="media_file"),
    # 保密与查阅、复制 (issue #16)
    path("cases/<int:pk>/secrecy/", secrecy.case_secrecy, name="case_secrecy"),
    path("cases/<int:pk>/copies/new/", secrecy.copy_new, name="copy_new"),
    path("cases/<int:pk>/copies/<str:request_id>/", secrecy.copy_detail, name="copy_detail"),
    path("cases/<int:pk>/copies/<str:request_id>/file/", secrecy.copy_file, name="copy_file"),
    # The party's one-time link and the copies' verification: no account needed.
    path(
        "copies/download/<str:request_id>/<str:token>/",
        secrecy.copy_download,
        name="copy_download",
    ),
    path("copies/verify/", secrecy.copy_verify, name="copy_verify"),
    path("supervision/access/", supervision.access_log, name="access_log"),
    path("supervision/witness/", supervision.witness_page, name="witness_page"),
    path("supervision/dashboard/", dashboard.dashboard_page, name="dashboard"),
    path("supervision/report/", report.report_page, name="report"),
    # 责令限期整改 (issue #14 item 4)
    path("supervision/orders/", orders.order_list, name="order_list"),
    path("supervision/orders/new/", orders.order_new, name="order_new"),
    path(
        "supervision/orders/<slug:agency>/<str:order_id>/",
        orders.order_detail,
        name="order_detail",
    ),
    path(
        "supervision/orders/<slug:agency>/<str:order_id>/answer/",
        orders.order_answer,
        name="order_answer",
    ),
    path(
        "supervision/orders/<slug:agency>/<str:order_id>/evidence/<str:sha256>/",
        orders.order_evidence,
        name="order_evidence",
    ),
    # 案卷评查 (issue #14 item 2)
    path("supervision/reviews/", reviews.review_list, name="review_list"),
    path("supervision/reviews/sample/", reviews.review_sample, name="review_sample"),
    path(
        "supervision/reviews/samplings/<str:sampling_id>/",
        reviews.review_sampling,
        name="review_sampling",
    ),
    path(
        "supervision/reviews/samplings/<str:sampling_id>/cases/<int:case_pk>/",
        reviews.review_score,
        name="review_score",
    ),
    path("supervision/reviews/sheets/<str:sheet_id>/", reviews.review_detail, name="review_detail"),
    # The ledger's checkpoints and proofs, read-only, no login (docs/ledger-http.md).
    path("ledger/<slug:agency>/<path:path>", ledger_http.ledger_endpoint, name="ledger_http"),
    path("api/", api.urls),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", RedirectView.as_view(url="/static/lawtrail/favicon.svg", permanent=True)),
    # One sign-in for everyone (lockout, second factor, access log): the admin's login page
    # sends to it.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="login", query_string=True),
        name="admin_login",
    ),
    path("admin/", admin.site.urls),
]

handler400 = "lawtrail.web.views.errors.bad_request"
handler403 = "lawtrail.web.views.errors.forbidden"
handler404 = "lawtrail.web.views.errors.not_found"
handler500 = "lawtrail.web.views.errors.server_error"
