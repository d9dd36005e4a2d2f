"""Domain errors: every refused change has a stable code and a translated message."""

from django.utils.translation import gettext_lazy as _


class TicketError(Exception):
    code = "ticket_error"
    default_message = _("This change is not allowed.")

    def __init__(self, message=None, **params):
        self.params = params
        template = str(message or self.default_message)
        self.message = template % params if params else template
        super().__init__(self.message)


class IllegalTransition(TicketError):
    code = "illegal_transition"
    default_message = _("A ticket cannot go from “%(from_status)s” to “%(to_status)s”.")


class ReasonRequired(TicketError):
    code = "reason_required"
    default_message = _("Say why: a reason is required.")


class TierNotAllowed(TicketError):
    code = "tier_not_allowed"
    default_message = _(
        "%(agent)s is a %(agent_tier)s agent and cannot hold a %(ticket_tier)s ticket."
    )


class InvalidEscalation(TicketError):
    code = "invalid_escalation"
    default_message = _("A %(from_tier)s ticket cannot move to %(to_tier)s this way.")


class NoTeamForTier(TicketError):
    code = "no_team_for_tier"
    default_message = _("There is no team of tier %(tier)s to receive this ticket.")


class AlreadyClaimed(TicketError):
    code = "already_claimed"
    default_message = _("Ticket #%(number)s was already claimed by %(assignee)s.")


class NotAnAgent(TicketError):
    code = "not_an_agent"
    default_message = _("%(user)s is not an agent.")


class InvalidMerge(TicketError):
    code = "invalid_merge"
    default_message = _("These tickets cannot be merged: %(why)s")


class TicketClosed(TicketError):
    code = "ticket_closed"
    default_message = _("Ticket #%(number)s is closed; open a follow-up ticket instead.")


class AttachmentTooLarge(TicketError):
    code = "attachment_too_large"
    default_message = _("“%(filename)s” is %(size)s bytes; the limit is %(limit)s bytes.")


class WhatsAppWindowClosed(TicketError):
    code = "whatsapp_window_closed"
    default_message = _(
        "WhatsApp allows free text only within %(hours)s hours of the customer's last message, "
        "and that window is closed. Send an approved message template instead: when the "
        "customer answers, the window opens again."
    )


class InvalidCustomerMerge(TicketError):
    code = "invalid_customer_merge"
    default_message = _("These customers cannot be merged: %(why)s")


class InvalidChoice(TicketError):
    code = "invalid_choice"
    default_message = _("“%(value)s” is not a valid %(field)s.")


class InvalidLink(TicketError):
    code = "invalid_link"
    default_message = _("These tickets cannot be linked: %(why)s")


class InvalidSplit(TicketError):
    code = "invalid_split"
    default_message = _("This message cannot be split off: %(why)s")


class EmptyMessage(TicketError):
    code = "empty_message"
    default_message = _("Write something first: the message is empty.")


class CannedResponseForbidden(TicketError):
    code = "canned_response_forbidden"
    default_message = _(
        "You may change only your own canned responses; shared ones are kept by managers."
    )


class InvalidCannedResponse(TicketError):
    """`field` names the form field at fault (None: the whole response)."""

    code = "invalid_canned_response"
    default_message = _("This canned response cannot be saved: %(why)s")

    def __init__(self, message=None, *, field: str | None = None, **params):
        self.field = field
        super().__init__(message, **params)


class NotCustomersTicket(TicketError):
    """A portal login acting on a ticket outside its reach (pages answer 404 before this)."""

    code = "not_customers_ticket"
    default_message = _("Request #%(number)s is not one of yours.")
