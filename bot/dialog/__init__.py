"""The rasa side of the bot seen from the application: training, validation, story tests and
NLU parsing through .venv-rasa subprocesses (the app never imports rasa)."""
