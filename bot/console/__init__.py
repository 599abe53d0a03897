"""The knowledge-editor console's backend: sign-in and roles, the editable knowledge base
with its review workflow, publishing to the serving index, import/export, unanswered
questions and the audit log. `bot.console.api.install_console` mounts it on the gateway."""
