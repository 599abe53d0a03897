"""Starting and stopping the bot's processes together: rasa server, action server, gateway.

Each runs in its own process group with its log under <data_dir>/logs/; `start()` returns
once every part answers its readiness URL (or raises with the tail of the failing part's
log); `stop()` ends them all, politely first (SIGTERM), then by force.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bot.errors import BotError
from bot.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

PARTS = ("actions", "rasa", "gateway")
READY_TIMEOUT_S = 240.0


class StartError(BotError):
    """A part of the bot did not start."""


@dataclass
class Part:
    name: str
    argv: list[str]
    ready_url: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    log_offset: int = 0  # where this start's output begins in the (appended) log

    def log_tail(self, lines: int = 25) -> str:
        """The last lines this start wrote (earlier starts' lines are not this failure)."""
        try:
            with self.log_path.open("rb") as handle:
                handle.seek(self.log_offset)
                text = handle.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _runtime_endpoints(settings: Settings) -> Path:
    """endpoints.yml for this run: the action server's port and the tracker store file."""
    run_dir = settings.data_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "endpoints.yml"
    tracker_db = settings.data_dir / "rasa_tracker.db"
    path.write_text(
        "action_endpoint:\n"
        f"  url: http://127.0.0.1:{settings.actions_port}/webhook\n"
        "tracker_store:\n"
        "  type: SQL\n"
        "  dialect: sqlite\n"
        f"  db: {tracker_db}\n"
        "lock_store:\n"
        "  type: in_memory\n",
        encoding="utf-8",
    )
    return path


def rasa_model_path(settings: Settings) -> Path:
    return settings.rasa_model_dir / "hotline.tar.gz"


def make_parts(settings: Settings, parts: tuple[str, ...] = PARTS) -> list[Part]:
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONUNBUFFERED": "1",
        # rasa-sdk binds 0.0.0.0 unless told otherwise; the action server is internal.
        "SANIC_HOST": "127.0.0.1",
        "BOT_KB_DIR": str(settings.kb_dir),
        "BOT_BUILD_DIR": str(settings.build_dir),
        "BOT_DATA_DIR": str(settings.data_dir),
        "BOT_EMBEDDER": settings.embedder,
        "BOT_RASA_URL": settings.rasa_url,
        "BOT_ACTIONS_PORT": str(settings.actions_port),
        "BOT_GATEWAY_HOST": settings.gateway_host,
        "BOT_GATEWAY_PORT": str(settings.gateway_port),
    }
    if settings.database_url:
        env["BOT_DATABASE_URL"] = settings.database_url
    python = sys.executable
    rasa_python = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"
    # rasa's own CLI, with the action-response validation fix (see rasa_launcher.py)
    launcher = PROJECT_ROOT / "bot" / "dialog" / "rasa_launcher.py"
    rasa_port = settings.rasa_url.rsplit(":", 1)[-1].strip("/")
    available = {
        "actions": Part(
            "actions",
            [python, "-m", "rasa_sdk", "--actions", "actions",
             "--port", str(settings.actions_port)],
            f"http://127.0.0.1:{settings.actions_port}/health",
            env, logs / "actions.log",
        ),
        "rasa": Part(
            "rasa",
            [str(rasa_python), str(launcher),
             "run", "--enable-api", "-i", "127.0.0.1", "-p", rasa_port,
             "--model", str(rasa_model_path(settings)),
             "--endpoints", str(_runtime_endpoints(settings)),
             "--credentials", str(PROJECT_ROOT / "credentials.yml")],
            f"{settings.rasa_url}/status",
            env, logs / "rasa.log",
        ),
        "gateway": Part(
            "gateway",
            [python, "-m", "uvicorn", "--factory", "bot.gateway.factory:app_from_env",
             "--host", settings.gateway_host, "--port", str(settings.gateway_port),
             "--log-level", "warning"],
            f"http://{settings.gateway_host}:{settings.gateway_port}/health",
            env, logs / "gateway.log",
        ),
    }
    return [available[name] for name in parts]


def _port_free(host: str, port: int, kind: int = socket.SOCK_STREAM) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, kind) as probe:
        if kind == socket.SOCK_STREAM:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def preflight(settings: Settings, parts: tuple[str, ...] = PARTS) -> None:
    """Before anything starts: every setting the gateway reads later is valid (one clear
    line naming the key, not a traceback after rasa and the action server came up), and
    every address the parts will listen on is free (a second `bot serve`, or another
    program on port 8000, is named with the key that moves it)."""
    from bot.telephony.config import TelephonySettings
    from bot.voice.config import VoiceSettings

    VoiceSettings.load(settings)
    phone = TelephonySettings.load(settings)
    rasa = urlsplit(settings.rasa_url)
    wanted = {
        "gateway": [(settings.gateway_host, settings.gateway_port, socket.SOCK_STREAM,
                     "BOT_GATEWAY_PORT")],
        "actions": [("127.0.0.1", settings.actions_port, socket.SOCK_STREAM,
                     "BOT_ACTIONS_PORT")],
        "rasa": [(rasa.hostname or "127.0.0.1", rasa.port or 5005, socket.SOCK_STREAM,
                  "BOT_RASA_URL")],
    }
    if phone.sip_enabled:
        wanted["gateway"].append((phone.sip_host, phone.sip_port, socket.SOCK_DGRAM,
                                  "BOT_SIP_HOST/BOT_SIP_PORT"))
    if phone.audiosocket_enabled:
        wanted["gateway"].append((phone.audiosocket_host, phone.audiosocket_port,
                                  socket.SOCK_STREAM, "BOT_AUDIOSOCKET_HOST/BOT_AUDIOSOCKET_PORT"))
    for part in parts:
        for host, port, kind, key in wanted.get(part, []):
            if not _port_free(host, port, kind):
                proto = "UDP" if kind == socket.SOCK_DGRAM else "TCP"
                raise StartError(
                    f"{part} cannot listen on {host}:{port} ({proto}): the address is in use "
                    f"(another `bot serve`, or another program); stop it or set {key}"
                )


class Supervisor:
    def __init__(self, settings: Settings, parts: tuple[str, ...] = PARTS) -> None:
        self.settings = settings
        self.parts = make_parts(settings, parts)
        self._checked = False

    def __enter__(self) -> Supervisor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def check(self) -> None:
        """Everything that can fail before a process starts: the rasa model, the settings,
        the listening addresses. `start` runs it unless it already passed."""
        wants_rasa = any(p.name == "rasa" for p in self.parts)
        if wants_rasa and not rasa_model_path(self.settings).is_file():
            raise StartError("no trained rasa model: run `make install` (or `bot build rasa`)")
        preflight(self.settings, tuple(p.name for p in self.parts))
        self._checked = True

    def start(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        if not self._checked:
            self.check()
        self._checked = False  # a later start checks again
        for part in self.parts:
            handle = part.log_path.open("ab")
            part.log_offset = handle.tell()
            part.process = subprocess.Popen(
                part.argv, cwd=PROJECT_ROOT, env=part.env, stdout=handle,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )
            handle.close()
            log.info("started %s (pid %d)", part.name, part.process.pid)
        try:
            self._wait_ready(timeout_s)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        pending = list(self.parts)
        with httpx.Client(timeout=2.0) as client:
            while pending:
                for part in list(pending):
                    assert part.process is not None
                    if part.process.poll() is not None:
                        raise StartError(
                            f"{part.name} exited with code {part.process.returncode} while "
                            f"starting; its log ({part.log_path}) ends with:\n{part.log_tail()}"
                        )
                    try:
                        if client.get(part.ready_url).status_code == 200:
                            pending.remove(part)
                            log.info("%s is ready", part.name)
                            if part.name == "actions":
                                self._warm_up_actions(client)
                    except httpx.HTTPError:
                        pass
                if pending and time.monotonic() > deadline:
                    names = ", ".join(p.name for p in pending)
                    raise StartError(
                        f"{names} not ready after {timeout_s:.0f} s; "
                        f"see the logs in {self.parts[0].log_path.parent}"
                    )
                if pending:
                    time.sleep(0.5)

    def _warm_up_actions(self, client: httpx.Client) -> None:
        """Load the FAQ engine in the action server's worker before traffic arrives."""
        url = f"http://127.0.0.1:{self.settings.actions_port}/webhook"
        body = {"next_action": "action_warm_up", "sender_id": "warm-up", "tracker": {
            "sender_id": "warm-up", "slots": {}, "latest_message": {}, "events": [],
            "paused": False, "followup_action": None, "active_loop": {},
            "latest_action_name": None}, "domain": {}, "version": "3.6.21"}
        try:
            client.post(url, json=body, timeout=120.0).raise_for_status()
        except httpx.HTTPError as err:
            log.warning("action server warm-up failed (first question will be slow): %s", err)

    def alive(self) -> dict[str, bool]:
        return {p.name: p.process is not None and p.process.poll() is None for p in self.parts}

    def stop_part(self, name: str) -> None:
        for part in self.parts:
            if part.name == name:
                _terminate(part)

    def stop(self) -> None:
        for part in reversed(self.parts):
            _terminate(part)


def _terminate(part: Part, grace_s: float = 10.0) -> None:
    proc = part.process
    if proc is None:
        return
    # The part leads its own process group; its workers (sanic's, for the action server)
    # can outlive the leader by a moment, or for good if the leader crashed: the part is
    # stopped only when the whole group is gone.
    try:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=grace_s)
        elif _group_gone(proc.pid, 0.0):
            return
        else:
            os.killpg(proc.pid, signal.SIGTERM)
        if not _group_gone(proc.pid, grace_s):
            os.killpg(proc.pid, signal.SIGKILL)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass
    if not _group_gone(proc.pid, 5.0):
        log.warning("%s: processes of group %d still present after SIGKILL", part.name, proc.pid)
    log.info("stopped %s", part.name)


def _group_gone(pgid: int, timeout_s: float) -> bool:
    """True once no process of the group is left (checked every 0.1 s up to timeout_s)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
