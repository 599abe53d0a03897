"""The SIP adapter: the bot as a SIP user agent server on UDP, reached by an
IP-authenticated trunk or through Kamailio, optionally registered as an extension.

Our own small stack on asyncio (the PyPI SIP libraries fail in ways ../shared/TELEPHONY.md
lists): message (tolerant parsing), headers, sdp (offer/answer), dialog, transaction,
auth (digest), rtp + codec + dtmf (media), sipcall (one call: the CallControl), refer
(transfer), ua + endpoint (the socket and dispatch), register, options, and server
(`run_sip(settings, acceptor)`, what bot/telephony/service.py starts).
"""
