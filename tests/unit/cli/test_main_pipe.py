"""`bot ... | head`: a reader that stops early ends the command quietly, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from bot.store.base import Channel, Turn
from bot.store.sql import SqlStore

# A command that prints far more than a pipe holds (64 KiB), so the write after `head` has
# gone is certain to hit a closed pipe rather than win a race against it.
_FLOOD = (
    "import sys\n"
    "from bot.cli import main, stats_cmd\n"
    "def flood(args, settings):\n"
    "    for _ in range(200_000):\n"
    "        print('统计' * 20)\n"
    "    return 0\n"
    "stats_cmd.run = flood\n"
    "sys.exit(main.main(['stats', '--json']))\n"
)


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "BOT_DATA_DIR": str(tmp_path / "var"),
            "BOT_KB_DIR": str(tmp_path / "no-kb"), "RASA_TELEMETRY_ENABLED": "false",
            "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}


def _piped_into_head(command: str, tmp_path: Path) -> tuple[bytes, str, int]:
    """(what head printed, the command's stderr, the command's exit status)."""
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", f"{command} 2>{tmp_path / 'err'} | head -c 10"],
        capture_output=True, env=_env(tmp_path), timeout=120, check=False,
    )
    return result.stdout, (tmp_path / "err").read_text(encoding="utf-8"), result.returncode


def test_output_cut_off_by_head_ends_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "flood.py").write_text(_FLOOD, encoding="utf-8")
    out, err, status = _piped_into_head(f"{sys.executable} {tmp_path / 'flood.py'}", tmp_path)
    assert out == "统计统计".encode()[:10]
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert err == ""
    assert status == 1  # the output was not all delivered; pipefail reports the command's 1


def test_bot_stats_json_into_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    with SqlStore(url) as store:
        store.record_turn(Turn("a", Channel.CHAT, "居住证怎么办", datetime.now(), faq_id="F1"))
    command = f"{sys.executable} -m bot.cli.main stats --json --db {url}"
    out, err, _ = _piped_into_head(command, tmp_path)
    assert out.startswith(b"{")
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
