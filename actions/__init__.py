"""The rasa action server's custom actions (rasa-sdk imports every submodule of this package).

Thin adapters: read the tracker, call the FAQ engine and the store (injected, with lazy
defaults from `actions.services`), utter, return events. Nothing heavy happens on import.
"""
