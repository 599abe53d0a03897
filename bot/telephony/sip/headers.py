"""The structured SIP header values the user agent reads: URIs, name-addrs (From, To,
Contact, Route), Via, and comma-separated lists. Tolerant: unknown parameters are kept,
quoted strings and <...> may hold commas and semicolons."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace


class HeaderError(ValueError):
    """A header value cannot be parsed; the message is a reason phrase for a 400."""


def split_list(value: str) -> list[str]:
    """Split `a, "b, c" <sip:x>, d` at top-level commas (not inside quotes or <>)."""
    parts: list[str] = []
    depth, quoted, escaped, start = 0, False, False, 0
    for i, ch in enumerate(value):
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif not quoted and ch == "<":
            depth += 1
        elif not quoted and ch == ">":
            depth = max(0, depth - 1)
        elif not quoted and depth == 0 and ch == ",":
            parts.append(value[start:i].strip())
            start = i + 1
    parts.append(value[start:].strip())
    return [p for p in parts if p]


def parse_params(text: str) -> dict[str, str | None]:
    """`;tag=abc;lr;rport` -> {"tag": "abc", "lr": None, "rport": None} (names lower-case)."""
    params: dict[str, str | None] = {}
    for item in text.split(";"):
        item = item.strip()
        if not item:
            continue
        name, eq, val = item.partition("=")
        params[name.strip().lower()] = val.strip().strip('"') if eq else None
    return params


def format_params(params: dict[str, str | None]) -> str:
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params.items())


_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$")


@dataclass(frozen=True)
class SipUri:
    scheme: str
    user: str | None
    host: str
    port: int | None = None
    params: dict[str, str | None] = field(default_factory=dict)
    headers: str = ""  # the raw `?...` part, kept as written

    @classmethod
    def parse(cls, text: str) -> SipUri:
        raw = text.strip()
        scheme, colon, rest = raw.partition(":")
        scheme = scheme.lower()
        if not colon or scheme not in ("sip", "sips", "tel"):
            raise HeaderError(f"Unsupported URI {raw[:60]!r}")
        if scheme == "tel":  # tel:+8612345;phone-context=...: the number is the "user"
            number, _, params = rest.partition(";")
            return cls("tel", number, "", None, parse_params(params))
        rest, _, uri_headers = rest.partition("?")
        userinfo, at, hostpart = rest.rpartition("@")
        if not at:
            hostpart = rest
        hostport, _, params = hostpart.partition(";")
        match = _HOST_PORT.match(hostport)
        if match is None:
            raise HeaderError(f"Bad host in URI {raw[:60]!r}")
        port = int(match.group(2)) if match.group(2) else None
        if port is not None and not 0 < port < 65536:
            raise HeaderError(f"Bad port in URI {raw[:60]!r}")
        user = userinfo.partition(":")[0] if at else None  # drop any password
        return cls(scheme, user, match.group(1), port, parse_params(params), uri_headers)

    @property
    def address(self) -> tuple[str, int]:
        """Where a request to this URI goes without DNS SRV: host and port (5060)."""
        return self.host.strip("[]"), self.port or 5060

    def __str__(self) -> str:
        if self.scheme == "tel":
            return f"tel:{self.user}{format_params(self.params)}"
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        tail = f"?{self.headers}" if self.headers else ""
        return f"{self.scheme}:{user}{self.host}{port}{format_params(self.params)}{tail}"


@dataclass(frozen=True)
class NameAddr:
    """From, To, Contact, Route, Refer-To: `"name" <uri>;params` or a bare `uri;params`."""

    uri: str
    display: str = ""
    params: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> NameAddr:
        raw = text.strip()
        if not raw:
            raise HeaderError("Empty address header")
        if "<" in raw:
            display, _, rest = raw.partition("<")
            uri, close, params = rest.partition(">")
            if not close:
                raise HeaderError(f"Unclosed <> in {raw[:60]!r}")
            return cls(uri.strip(), display.strip().strip('"'), parse_params(params))
        if raw == "*":  # Contact: * (REGISTER only)
            return cls("*")
        # addr-spec without <>: every ; parameter belongs to the header, not the URI
        uri, _, params = raw.partition(";")
        return cls(uri.strip(), "", parse_params(params))

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    def with_tag(self, tag: str) -> NameAddr:
        return replace(self, params={**self.params, "tag": tag})

    def __str__(self) -> str:
        display = f'"{self.display}" ' if self.display else ""
        return f"{display}<{self.uri}>{format_params(self.params)}"


_VIA = re.compile(r"^SIP\s*/\s*2\.0\s*/\s*([A-Za-z]+)\s+([^\s;]+)\s*(;.*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Via:
    transport: str
    host: str
    port: int | None
    params: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Via:
        match = _VIA.match(text.strip())
        if match is None:
            raise HeaderError(f"Malformed Via {text.strip()[:60]!r}")
        hostport = _HOST_PORT.match(match.group(2))
        if hostport is None:
            raise HeaderError(f"Bad host in Via {text.strip()[:60]!r}")
        port = int(hostport.group(2)) if hostport.group(2) else None
        return cls(
            match.group(1).upper(), hostport.group(1), port, parse_params(match.group(3) or "")
        )

    @property
    def branch(self) -> str | None:
        return self.params.get("branch")

    def __str__(self) -> str:
        port = f":{self.port}" if self.port else ""
        return f"SIP/2.0/{self.transport} {self.host}{port}{format_params(self.params)}"
