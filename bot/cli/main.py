"""The `bot` command line. Each subcommand lives in its own module under bot/cli/ and exposes
`register(subparsers)`, which adds its parser and sets `func(args, settings) -> int`.

Errors derived from BotError are printed as one `Error: ...` line with exit code 1.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from typing import NoReturn

from bot.errors import BotError

# Subcommand modules, in the order `bot --help` lists them.
COMMAND_MODULES = (
    "bot.cli.kb_cmd",
    "bot.cli.build_cmd",
    "bot.cli.ask_cmd",
    "bot.cli.eval_cmd",
    "bot.cli.serve_cmd",
    "bot.cli.chat_cmd",
    "bot.cli.replay_cmd",
    "bot.cli.replay_audio_cmd",
    "bot.cli.stats_cmd",
    "bot.cli.mine_cmd",
    "bot.cli.demo_cmd",
    "bot.cli.transcribe_cmd",
    "bot.cli.console_cmd",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one clear line, exit 1 (argparse: 2)
        self.print_usage(sys.stderr)
        print(f"Error: {message}", file=sys.stderr)
        sys.exit(1)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bot",
        description="12345 热线 FAQ 机器人：知识库、问答引擎、对话服务与统计。",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name == name:  # a command not written yet
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from bot.settings import Settings

    try:
        settings = Settings.load()
        status = int(args.func(args, settings) or 0)
        sys.stdout.flush()  # here, so a closed pipe is caught below and not at exit
        return status
    except BotError as err:
        print(f"Error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _reader_went_away()


def _reader_went_away() -> int:
    """`bot stats | head`: the reader stopped early. Not worth a traceback, but the output was
    cut short, so exit 1. stdout goes to /dev/null so the flush at exit does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 1


if __name__ == "__main__":
    sys.exit(main())
