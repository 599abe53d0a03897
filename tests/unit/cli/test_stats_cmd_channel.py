"""`bot stats --channel`: the statistics of one channel's sessions."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.store.base import Channel, Outcome, TransferReason, Turn
from bot.store.sql import SqlStore

D1 = datetime(2026, 3, 2, 9, 0)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A chat session answered and confirmed, a voice session handed over."""
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "var"))
    url = f"sqlite:///{tmp_path / 'log.db'}"
    with SqlStore(url, clock=lambda: D1) as store:
        store.record_turn(
            Turn("a", Channel.CHAT, "居住证怎么办", D1, decision="answer", faq_id="F1")
        )
        store.end_session("a", Outcome.DEFLECTED, confirmed=True, at=D1)
        store.record_turn(Turn("b", Channel.VOICE, "社保卡丢了", D1, decision="handover"))
        store.end_session("b", Outcome.TRANSFERRED, reason=TransferReason.LOW_CONFIDENCE, at=D1)
    return url


def test_one_channel(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--json", "--db", db, "--channel", "voice"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["sessions"], data["transferred"], data["deflected"]) == (1, 1, 0)


def test_every_channel_without_the_option(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--json", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)["sessions"] == 2


def test_an_unknown_channel_is_refused(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["stats", "--db", db, "--channel", "fax"])
    assert exit_info.value.code == 1  # the CLI's one-line error, exit 1
    assert "Error: argument --channel: invalid choice: 'fax'" in capsys.readouterr().err
