"""Settings from the environment, read in one place, failing loudly (after healthchecks).

Every setting has a default that makes the embedded system work out of the box (SQLite and local
files under ``./var``); a value that is set but wrong raises :class:`ConfigError` naming the
variable, instead of being ignored.

    LAWTRAIL_DATA_DIR          base directory for the embedded defaults          (./var)
    DATABASE_URL               sqlite:///path.sqlite3 | postgresql://…    (<data>/lawtrail.sqlite3)
    LAWTRAIL_MEDIA_STORE       file:///abs/dir | s3://bucket/prefix?endpoint=…   (<data>/media)
    LAWTRAIL_ORPHAN_GRACE      seconds an interrupted upload's bytes are kept    (86400)
    LAWTRAIL_KEYS_DIR          the agencies' checkpoint signing keys             (<data>/keys)
    LAWTRAIL_LOG_ORIGIN_BASE   origin prefix of every agency's log               (lawtrail.local)
    LAWTRAIL_WITNESS_STATE     a witness's state directory, for `lawtrail verify` (unset)
    LAWTRAIL_WITNESS_URL       the supervisor's witness service, shown on the pages   (unset)
    LAWTRAIL_SIGNER            who signs checkpoints: file | unix:/abs/socket    (file)
    LAWTRAIL_SIGNER_TIMEOUT    seconds to wait for the signing process            (10)
"""

from __future__ import annotations

import os
import re
from pathlib import Path


class ConfigError(Exception):
    """A setting is present but unusable; the message names the variable."""


def env_str(name: str, default: str) -> str:
    value = os.environ.get(name)
    if value is None:
        return default
    if not value.strip():
        raise ConfigError(f"环境变量 {name} 已设置但为空")
    return value.strip()


def env_optional(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None else env_str(name, "")


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"环境变量 {name} 应为 true 或 false，而不是 {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ConfigError(f"环境变量 {name} 应为整数，而不是 {value!r}") from None
    if number < 0:
        raise ConfigError(f"环境变量 {name} 不能为负数")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise ConfigError(f"环境变量 {name} 已设置但为空")
    return items


def env_path(name: str, default: Path) -> Path:
    return Path(env_str(name, str(default))).expanduser().absolute()


def data_dir() -> Path:
    return env_path("LAWTRAIL_DATA_DIR", Path("var"))


def database_url() -> str:
    return env_str("DATABASE_URL", f"sqlite:///{data_dir() / 'lawtrail.sqlite3'}")


def media_store_url() -> str:
    return env_str("LAWTRAIL_MEDIA_STORE", f"file://{data_dir() / 'media'}")


def orphan_grace_seconds() -> int:
    """How long the bytes of an unfinished upload (`incoming/`) are left alone before the
    cleanup (`lawtrail media cleanup`, and the server at start) removes them: long enough that
    no upload still in progress — on this or another app server — is ever touched."""
    return env_int("LAWTRAIL_ORPHAN_GRACE", 24 * 3600)


def keys_dir() -> Path:
    return env_path("LAWTRAIL_KEYS_DIR", data_dir() / "keys")


def log_origin_base() -> str:
    base = env_str("LAWTRAIL_LOG_ORIGIN_BASE", "lawtrail.local")
    if any(ch.isspace() for ch in base) or "+" in base:
        raise ConfigError("环境变量 LAWTRAIL_LOG_ORIGIN_BASE 不能含空白或“+”")
    return base.rstrip("/")


_LOG_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def supervisor_log() -> str:
    """The name of the supervising body's own log in the ledger (default ``yfzsb``, 依法治市办):
    where its 案卷评查 samplings and scoring sheets are signed (lawtrail.case_review), beside —
    never inside — the agencies' logs. Must not be an agency's code."""
    name = env_str("LAWTRAIL_SUPERVISOR_LOG", "yfzsb")
    if not _LOG_NAME.match(name):
        raise ConfigError(
            f"环境变量 LAWTRAIL_SUPERVISOR_LOG 应为小写字母、数字和连字符（当前为 {name!r}）"
        )
    return name


def templates_dir() -> Path | None:
    """An agency's replacement document templates (<dir>/<agency>/<template>.html|.docx, or
    <dir>/<template>.…): LAWTRAIL_TEMPLATES_DIR, else <data dir>/templates when it exists."""
    if os.environ.get("LAWTRAIL_TEMPLATES_DIR") is not None:
        path = env_path("LAWTRAIL_TEMPLATES_DIR", Path())
        if not path.is_dir():
            raise ConfigError(f"环境变量 LAWTRAIL_TEMPLATES_DIR 指向的目录不存在：{path}")
        return path
    default = data_dir() / "templates"
    return default if default.is_dir() else None


def document_fonts() -> dict[str, tuple[str, ...]]:
    """The deployment's own fonts for the 文书 (documents/form.py Typography), each a
    comma-separated list of font family names put before the GB/T 9704 defaults:
    LAWTRAIL_FONT_TITLE (小标宋), LAWTRAIL_FONT_BODY (仿宋), LAWTRAIL_FONT_HEADING (黑体),
    LAWTRAIL_FONT_KAI (楷体)."""
    result = {}
    for part in ("title", "body", "heading", "kai"):
        value = env_str(f"LAWTRAIL_FONT_{part.upper()}", "")
        result[part] = tuple(n.strip() for n in value.split(",") if n.strip())
    return result


def seals_dir() -> Path | None:
    """The agencies' seal images (<dir>/<agency>.png) printed on issued 文书:
    LAWTRAIL_SEALS_DIR, else <data dir>/seals when it exists. An agency without one there
    gets the shipped demo seal marked 样章 unless LAWTRAIL_DEMO_SEALS=0."""
    if os.environ.get("LAWTRAIL_SEALS_DIR") is not None:
        path = env_path("LAWTRAIL_SEALS_DIR", Path())
        if not path.is_dir():
            raise ConfigError(f"环境变量 LAWTRAIL_SEALS_DIR 指向的目录不存在：{path}")
        return path
    default = data_dir() / "seals"
    return default if default.is_dir() else None


def demo_seals() -> bool:
    return env_str("LAWTRAIL_DEMO_SEALS", "1") != "0"


def pdf_signing_dir() -> Path | None:
    """The agencies' signing keys and certificates for the PAdES signature of issued PDFs
    (<dir>/<agency>.key.pem, .cert.pem, .chain.pem; documents/pades.py):
    LAWTRAIL_PDF_SIGNING_DIR, else <data dir>/pdf-signing when it exists."""
    if os.environ.get("LAWTRAIL_PDF_SIGNING_DIR") is not None:
        path = env_path("LAWTRAIL_PDF_SIGNING_DIR", Path())
        if not path.is_dir():
            raise ConfigError(f"环境变量 LAWTRAIL_PDF_SIGNING_DIR 指向的目录不存在：{path}")
        return path
    default = data_dir() / "pdf-signing"
    return default if default.is_dir() else None


def witness_state_dir() -> Path | None:
    value = os.environ.get("LAWTRAIL_WITNESS_STATE")
    return env_path("LAWTRAIL_WITNESS_STATE", Path()) if value is not None else None


def signer_socket() -> Path | None:
    """LAWTRAIL_SIGNER: unset or ``file`` — the embedded default, the agency key as a file in
    the key directory; ``unix:/abs/path`` — the signing process listening on that socket
    (``lawtrail signer serve``, :mod:`lawtrail.ledger.signer_service`)."""
    value = env_str("LAWTRAIL_SIGNER", "file")
    if value == "file":
        return None
    if value.startswith("unix:"):
        path = Path(value[len("unix:") :])
        if not path.is_absolute():
            raise ConfigError(f"环境变量 LAWTRAIL_SIGNER 的套接字路径须为绝对路径：{value!r}")
        return path
    raise ConfigError(
        f"环境变量 LAWTRAIL_SIGNER 应为 file 或 unix:/套接字的绝对路径，而不是 {value!r}"
    )


def signer_timeout() -> float:
    seconds = env_int("LAWTRAIL_SIGNER_TIMEOUT", 10)
    if seconds == 0:
        raise ConfigError("环境变量 LAWTRAIL_SIGNER_TIMEOUT 应为正整数（秒）")
    return float(seconds)


def witness_url() -> str | None:
    """The supervisor's witness service (`lawtrail witness serve`), whose alerts and cosigned
    sizes the supervisor's pages show: an http(s) URL, or None when not set."""
    value = env_optional("LAWTRAIL_WITNESS_URL")
    if value is None:
        return None
    scheme, sep, rest = value.partition("://")
    if scheme not in ("http", "https") or not sep or not rest.strip("/") or " " in value:
        raise ConfigError(
            f"环境变量 LAWTRAIL_WITNESS_URL 应为 http:// 或 https:// 地址，而不是 {value!r}"
        )
    return value.rstrip("/")
