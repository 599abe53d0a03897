"""SDP offer/answer for one audio stream (RFC 4566, RFC 3264): G.711 PCMA first (China's
network is A-law), then PCMU, and RFC 4733 telephone-event at whatever payload type the
offer gives it. Anything else (video, SRTP, only unknown codecs) is declined, and with no
usable audio at all the user agent answers 488 Not Acceptable Here."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

STATIC = {0: "PCMU", 8: "PCMA"}  # static payload types (RFC 3551) we speak
DEFAULT_TE_PT = 101


class SdpError(ValueError):
    """The offer cannot be answered; the message goes into a Warning header."""


@dataclass(frozen=True)
class Media:
    kind: str
    port: int
    proto: str
    formats: list[str]
    rtpmap: dict[int, str] = field(default_factory=dict)  # pt -> "PCMA/8000"
    fmtp: dict[int, str] = field(default_factory=dict)
    direction: str | None = None
    address: str | None = None  # a media-level c= line


@dataclass(frozen=True)
class Session:
    address: str  # where the peer wants RTP
    media: list[Media]
    direction: str = "sendrecv"


@dataclass(frozen=True)
class Negotiated:
    """The outcome for the audio stream: what both sides send and where."""

    codec: str  # "PCMA" | "PCMU"
    payload_type: int
    te_payload_type: int | None
    remote_host: str
    remote_port: int
    direction: str  # ours: sendrecv | sendonly | recvonly | inactive


def parse(body: bytes) -> Session:
    text = body.decode("utf-8", "replace")
    address = ""
    direction = "sendrecv"
    media: list[dict] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if len(line) < 2 or line[1] != "=":
            continue
        kind, value = line[0], line[2:].strip()
        target = media[-1] if media else None
        if kind == "m":
            parts = value.split()
            if len(parts) < 4 or not parts[1].split("/")[0].isdigit():
                raise SdpError(f"Bad m= line {value[:60]!r}")
            media.append(
                {
                    "kind": parts[0],
                    "port": int(parts[1].split("/")[0]),
                    "proto": parts[2],
                    "formats": parts[3:],
                    "rtpmap": {},
                    "fmtp": {},
                    "direction": None,
                    "address": None,
                }
            )
        elif kind == "c":
            parts = value.split()
            if len(parts) != 3 or parts[0] != "IN" or parts[1] not in ("IP4", "IP6"):
                raise SdpError(f"Bad c= line {value[:60]!r}")
            if target is None:
                address = parts[2].split("/")[0]
            else:
                target["address"] = parts[2].split("/")[0]
        elif kind == "a":
            name, _, rest = value.partition(":")
            if name in ("sendrecv", "sendonly", "recvonly", "inactive"):
                if target is None:
                    direction = name
                else:
                    target["direction"] = name
            elif name in ("rtpmap", "fmtp") and target is not None:
                pt, _, spec = rest.partition(" ")
                if pt.isdigit():
                    target[name][int(pt)] = spec.strip()
    if not media:
        raise SdpError("No m= line in the SDP")
    return Session(address, [Media(**m) for m in media], direction)


def _name(media: Media, pt: int) -> str:
    spec = media.rtpmap.get(pt)
    if spec is None:
        return STATIC.get(pt, "")
    name, _, rate = spec.partition("/")
    return f"{name.upper()}/{rate.split('/')[0]}"


def negotiate(session: Session, codecs: tuple[str, ...]) -> tuple[Negotiated, int]:
    """The first usable audio stream, with our codec preference applied to it. Returns
    the outcome and the index of that m= line (the others are declined in the answer)."""
    reasons = []
    for index, media in enumerate(session.media):
        if media.kind != "audio" or media.port == 0:
            continue
        if media.proto.upper() not in ("RTP/AVP", "RTP/AVPF"):
            reasons.append(f"transport {media.proto} (only plain RTP/AVP)")
            continue
        offered = {int(f): _name(media, int(f)) for f in media.formats if f.isdigit()}
        chosen = next(
            ((pt, c) for c in codecs for pt, n in offered.items() if n in (c, f"{c}/8000")),
            None,
        )
        if chosen is None:
            names = ", ".join(n or str(pt) for pt, n in offered.items()) or "none"
            reasons.append(f"codecs {names} (we speak {', '.join(codecs)})")
            continue
        te = next((pt for pt, n in offered.items() if n == "TELEPHONE-EVENT/8000"), None)
        host = media.address or session.address
        if not host:
            raise SdpError("No c= connection address in the SDP")
        their = media.direction or session.direction
        ours = {"sendonly": "recvonly", "recvonly": "sendonly"}.get(their, their)
        return Negotiated(chosen[1], chosen[0], te, host, media.port, ours), index
    raise SdpError("No acceptable audio stream: " + ("; ".join(reasons) or "no audio offered"))


def _lines(host: str, origin: tuple[int, int] | None) -> list[str]:
    # o= keeps one session id for the call and a version raised at each new answer
    session_id, version = origin or (secrets.randbelow(2**31), 1)
    return [
        "v=0",
        f"o=- {session_id} {version} IN IP4 {host}",
        "s=12345 bot",
        f"c=IN IP4 {host}",
        "t=0 0",
    ]


def answer(
    offer: Session,
    chosen: Negotiated,
    index: int,
    host: str,
    port: int,
    origin: tuple[int, int] | None = None,
) -> bytes:
    """Our answer: the same m= lines as the offer, all but the chosen one with port 0."""
    lines = _lines(host, origin)
    for i, media in enumerate(offer.media):
        if i != index:
            lines.append(f"m={media.kind} 0 {media.proto} {' '.join(media.formats) or '0'}")
            continue
        pts = [chosen.payload_type] + (
            [chosen.te_payload_type] if chosen.te_payload_type is not None else []
        )
        lines.append(f"m=audio {port} RTP/AVP {' '.join(map(str, pts))}")
        lines.append(f"a=rtpmap:{chosen.payload_type} {chosen.codec}/8000")
        if chosen.te_payload_type is not None:
            lines.append(f"a=rtpmap:{chosen.te_payload_type} telephone-event/8000")
            lines.append(f"a=fmtp:{chosen.te_payload_type} 0-15")
        lines += ["a=ptime:20", f"a={chosen.direction}"]
    return ("\r\n".join(lines) + "\r\n").encode()


def offer(
    codecs: tuple[str, ...], host: str, port: int, origin: tuple[int, int] | None = None
) -> bytes:
    """Our offer, for an INVITE that came without SDP (the answer then comes in the ACK)."""
    lines = _lines(host, origin)
    by_name = {v: k for k, v in STATIC.items()}
    pts = [by_name[c] for c in codecs] + [DEFAULT_TE_PT]
    lines.append(f"m=audio {port} RTP/AVP {' '.join(map(str, pts))}")
    lines += [f"a=rtpmap:{by_name[c]} {c}/8000" for c in codecs]
    lines += [
        f"a=rtpmap:{DEFAULT_TE_PT} telephone-event/8000",
        f"a=fmtp:{DEFAULT_TE_PT} 0-15",
        "a=ptime:20",
        "a=sendrecv",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()
