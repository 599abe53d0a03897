"""Telephony: phone calls into the same voice dialog as the browser (issue 7).

``call`` is the seam (Protocols); ``flow`` is the bot side; ``audiosocket`` and
``sip`` are adapters; ``service.run_telephony`` starts the configured adapters.
"""
