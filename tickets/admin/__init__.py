"""The Django admin for the help desk's core data, made for a manager, one module per part of it:
customers, agents, tickets, conversation (shared pieces in _common). Importing them registers
their admins."""

from tickets.admin import agents, conversation, customers, macros, tickets  # noqa: F401
