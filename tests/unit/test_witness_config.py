"""The witness's configuration and LAWTRAIL_WITNESS_URL fail loudly, in Chinese, naming what
is wrong — a log without a pinned key above all (no trust on first use)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lawtrail import config
from lawtrail.core import notes
from lawtrail.witness_service.settings import WitnessConfigError, load

ORIGIN = "lawtrail.local/tonghua-market"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "witness.toml"
    path.write_text('key = "w.key"\nstate_dir = "state"\n' + text, "utf-8")
    return path


def test_a_valid_configuration_pins_each_log_key(tmp_path: Path) -> None:
    vkey = notes.Ed25519Signer.generate(ORIGIN).verifier_key()
    loaded = load(
        write(
            tmp_path,
            f'bind = "127.0.0.1:8111"\npoll_interval = 0.5\n[[log]]\norigin = "{ORIGIN}"\n'
            f'key = "{vkey}"\nurl = "http://127.0.0.1:8000/ledger/tonghua-market/"\n',
        )
    )
    assert (loaded.host, loaded.port, loaded.poll_interval) == ("127.0.0.1", 8111, 0.5)
    assert loaded.state_dir == tmp_path / "state"
    (log,) = loaded.logs
    assert (log.origin, log.key, log.url) == (
        ORIGIN,
        vkey,
        "http://127.0.0.1:8000/ledger/tonghua-market",
    )
    assert log.endpoint("status") == "http://127.0.0.1:8000/ledger/tonghua-market/status"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f'[[log]]\norigin = "{ORIGIN}"\nurl = "http://x/ledger/a"\n', "缺少 key"),
        (f'[[log]]\norigin = "{ORIGIN}"\nkey = "nonsense"\n', "key 不是有效的验证公钥"),
        ("poll_interval = -1\n", "poll_interval 应为正数"),
        ('bind = "8100"\n', "bind 应为 主机:端口"),
        ("colour = 1\n", "未知的设置 colour"),
        ("key = [\n", "不是有效的 TOML"),
    ],
)
def test_a_wrong_configuration_is_refused_naming_the_setting(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(WitnessConfigError, match=message):
        load(write(tmp_path, text))


def test_a_log_key_of_another_origin_is_refused(tmp_path: Path) -> None:
    other = notes.Ed25519Signer.generate("lawtrail.local/benxi-hrss").verifier_key()
    path = write(tmp_path, f'[[log]]\norigin = "{ORIGIN}"\nkey = "{other}"\n')
    with pytest.raises(WitnessConfigError, match=r"不是日志 lawtrail\.local/tonghua-market"):
        load(path)


def test_the_witness_url_setting_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAWTRAIL_WITNESS_URL", raising=False)
    assert config.witness_url() is None
    monkeypatch.setenv("LAWTRAIL_WITNESS_URL", "http://127.0.0.1:8100/")
    assert config.witness_url() == "http://127.0.0.1:8100"
    monkeypatch.setenv("LAWTRAIL_WITNESS_URL", "127.0.0.1:8100")
    with pytest.raises(config.ConfigError, match="LAWTRAIL_WITNESS_URL"):
        config.witness_url()
