"""Masks of personal data for templates (issue #16): the functions of
:mod:`lawtrail.core.secrecy`, so a page masks exactly as the API and the lists do."""

from __future__ import annotations

from django import template

from lawtrail.core import secrecy

register = template.Library()


@register.filter
def mask_personal(value: object) -> str:
    return secrecy.mask_personal_text(str(value or ""))


@register.filter
def mask_id_number(value: object) -> str:
    return secrecy.mask_id_number(str(value or ""))


@register.filter
def mask_address(value: object) -> str:
    return secrecy.mask_address(str(value or ""))
