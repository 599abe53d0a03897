"""SIP messages: tolerant parsing and serialising (RFC 3261 section 7).

Tolerant where real equipment differs (header names in any case, compact forms, folded
lines, empty values such as `Supported:`, several Via in one line or many lines, a bare LF
instead of CRLF); strict where the user agent would otherwise act on garbage (the start
line, CSeq, Content-Length). A failure is a `SipParseError` whose message is the reason
phrase of the 400 the user agent answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.telephony.sip.headers import HeaderError, NameAddr, Via, split_list

# RFC 3261 7.3.3 plus the compact forms of later RFCs (Refer-To r, Event o, ...)
COMPACT = {
    "v": "via",
    "f": "from",
    "t": "to",
    "i": "call-id",
    "m": "contact",
    "l": "content-length",
    "c": "content-type",
    "k": "supported",
    "s": "subject",
    "e": "content-encoding",
    "o": "event",
    "r": "refer-to",
    "b": "referred-by",
    "u": "allow-events",
    "x": "session-expires",
    "a": "accept-contact",
    "j": "reject-contact",
    "d": "request-disposition",
}
_SPELLING = {
    "call-id": "Call-ID",
    "cseq": "CSeq",
    "www-authenticate": "WWW-Authenticate",
    "mime-version": "MIME-Version",
    "rack": "RAck",
    "rseq": "RSeq",
    "sip-etag": "SIP-ETag",
}
_TOKEN = re.compile(r"^[A-Za-z0-9.!%*_+`'~-]+$")
# headers whose comma-separated values are separate entries (not the auth challenges)
LIST_HEADERS = {"Via", "Route", "Record-Route", "Contact", "Allow", "Supported", "Require"}


def canonical(name: str) -> str:
    low = name.strip().lower()
    low = COMPACT.get(low, low)
    return _SPELLING.get(low) or "-".join(p.capitalize() for p in low.split("-"))


class SipParseError(ValueError):
    """A datagram is not a usable SIP message. `status` is what to answer (400 or 505);
    `partial` is the message as far as it was read, for building that answer."""

    def __init__(self, reason: str, status: int = 400, partial: SipMessage | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.partial = partial


@dataclass
class SipMessage:
    method: str = ""  # requests
    uri: str = ""
    status: int = 0  # responses
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @property
    def is_request(self) -> bool:
        return bool(self.method)

    def get(self, name: str) -> str | None:
        key = canonical(name)
        for k, v in self.headers:
            if k == key:
                return v
        return None

    def values(self, name: str) -> list[str]:
        """Every value of a header, over all its lines, lists split at top-level commas."""
        key = canonical(name)
        found = [v for k, v in self.headers if k == key]
        if key in LIST_HEADERS:
            return [item for v in found for item in split_list(v)]
        return found

    def set(self, name: str, value: str) -> None:
        key = canonical(name)
        self.remove(key)
        self.headers.append((key, value))

    def add(self, name: str, value: str) -> None:
        self.headers.append((canonical(name), value))

    def remove(self, name: str) -> None:
        key = canonical(name)
        self.headers = [(k, v) for k, v in self.headers if k != key]

    @property
    def call_id(self) -> str:
        return (self.get("Call-ID") or "").strip()

    @property
    def cseq(self) -> tuple[int, str]:
        raw = (self.get("CSeq") or "").split()
        if len(raw) != 2 or not raw[0].isdigit() or len(raw[0]) > 10:
            raise SipParseError(f"Bad CSeq {self.get('CSeq')!r}", partial=self)
        return int(raw[0]), raw[1].upper()

    @property
    def vias(self) -> list[Via]:
        try:
            return [Via.parse(v) for v in self.values("Via")]
        except HeaderError as err:
            raise SipParseError(str(err), partial=self) from err

    def address(self, name: str) -> NameAddr:
        value = self.get(name)
        if value is None:
            raise SipParseError(f"Missing {canonical(name)} header", partial=self)
        try:
            return NameAddr.parse(value)
        except HeaderError as err:
            raise SipParseError(f"Bad {canonical(name)}: {err}", partial=self) from err

    def to_bytes(self) -> bytes:
        if self.is_request:
            start = f"{self.method} {self.uri} SIP/2.0"
        else:
            start = f"SIP/2.0 {self.status} {self.reason}"
        lines = [start]
        lines += [f"{k}: {v}" for k, v in self.headers if k != "Content-Length"]
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + self.body

    def __str__(self) -> str:
        return self.to_bytes().decode("utf-8", "replace")


def parse(data: bytes) -> SipMessage:
    """Bytes of one datagram -> a SipMessage, validated enough to act on."""
    data = data.lstrip(b"\r\n")  # RFC 3261 7.5: blank lines before the start line
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = data.partition(b"\n\n")
    text = head.decode("utf-8", "replace")
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or not lines[0].strip():
        raise SipParseError("Empty message")
    start_error: SipParseError | None = None
    try:
        msg = _start_line(lines[0].strip())
    except SipParseError as err:
        # read the headers anyway: with a Via and a method the 400/505 can still be sent
        start_error = err
        token = (lines[0].split() or [""])[0]
        is_method = _TOKEN.match(token) is not None and not token.upper().startswith("SIP")
        msg = SipMessage(method=token.upper() if is_method else "", uri="*")
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):  # folded continuation of the previous header
            if not msg.headers:
                raise SipParseError("Continuation line before any header", partial=msg)
            name, value = msg.headers[-1]
            msg.headers[-1] = (name, f"{value} {line.strip()}".strip())
            continue
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not _TOKEN.match(name.strip()):
            raise SipParseError(f"Malformed header line {line[:40]!r}", partial=msg)
        msg.headers.append((canonical(name), value.strip()))
    if start_error is not None:
        raise SipParseError(
            start_error.reason, start_error.status, partial=msg if msg.method else None
        )
    length = msg.get("Content-Length")
    if length is not None:
        if not length.strip().isdigit():
            raise SipParseError(f"Bad Content-Length {length!r}", partial=msg)
        size = int(length)
        if size > len(body):
            raise SipParseError("Content-Length larger than the body", partial=msg)
        body = body[:size]
    msg.body = body
    _validate(msg)
    return msg


def _start_line(line: str) -> SipMessage:
    parts = line.split(None, 2)
    if len(parts) >= 2 and parts[0].upper().startswith("SIP/"):
        if parts[0].upper() != "SIP/2.0":
            raise SipParseError(f"Unsupported version {parts[0][:20]!r}")
        if not (parts[1].isdigit() and len(parts[1]) == 3 and 100 <= int(parts[1]) <= 699):
            raise SipParseError(f"Bad status code {parts[1][:20]!r}")
        return SipMessage(status=int(parts[1]), reason=parts[2] if len(parts) > 2 else "")
    parts = line.split()
    if len(parts) != 3:
        raise SipParseError(f"Bad request line {line[:60]!r}")
    method, uri, version = parts
    if not _TOKEN.match(method):
        raise SipParseError(f"Bad method {method[:20]!r}")
    msg = SipMessage(method=method.upper(), uri=uri)
    if version.upper() != "SIP/2.0":
        raise SipParseError(f"Unsupported version {version[:20]!r}", 505, partial=msg)
    return msg


def _validate(msg: SipMessage) -> None:
    """The headers every request and response needs before anyone can act on it."""
    for name in ("Via", "From", "To", "Call-ID", "CSeq"):
        if not msg.get(name):
            raise SipParseError(f"Missing {name} header", partial=msg)
    number, method = msg.cseq
    if msg.is_request and method != msg.method:
        raise SipParseError(f"CSeq method {method} does not match {msg.method}", partial=msg)
    msg.vias  # noqa: B018 - parse the Via list now, so a bad one is a 400 here
    msg.address("From")
    msg.address("To")
    if msg.is_request:
        mf = msg.get("Max-Forwards")
        if mf is not None and not mf.strip().isdigit():
            raise SipParseError(f"Bad Max-Forwards {mf!r}", partial=msg)


def make_response(
    request: SipMessage,
    status: int,
    reason: str,
    *,
    to_tag: str | None = None,
    source: tuple[str, int] | None = None,
) -> SipMessage:
    """A response to `request` (RFC 3261 8.2.6): Via, From, To, Call-ID and CSeq copied,
    the To tag added when given, and the top Via marked with where the request really came
    from (received, and rport as RFC 3581 asks) so the answer finds a caller behind NAT."""
    response = SipMessage(status=status, reason=reason)
    vias = [v for k, v in request.headers if k == "Via"]
    if vias and source is not None:
        vias[0] = _mark_via(vias[0], source)
    for value in vias:
        response.add("Via", value)
    for name in ("From", "To", "Call-ID", "CSeq"):
        found = request.get(name)
        if found is None:
            continue
        value = found
        if name == "To" and to_tag:
            try:
                addr = NameAddr.parse(value)
                value = value if addr.tag else str(addr.with_tag(to_tag))
            except HeaderError:
                pass
        response.add(name, value)
    return response


def _mark_via(line: str, source: tuple[str, int]) -> str:
    first, *rest = split_list(line)
    try:
        via = Via.parse(first)
    except HeaderError:
        return line
    params = dict(via.params)
    params["received"] = source[0]
    if "rport" in params:
        params["rport"] = str(source[1])
    marked = str(Via(via.transport, via.host, via.port, params))
    return ", ".join([marked, *rest])
