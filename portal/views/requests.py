"""A customer's requests: the list, one conversation (reply, mark solved), a new request."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from channels_app import selectors as channel_selectors
from channels_app import services as channel_services
from channels_app.forms import MAX_FILES
from tickets import selectors, services
from tickets.errors import TicketError
from tickets.inbound import InboundAttachment
from tickets.models import Ticket

from .. import kb
from ..display import customer_status, with_customer_status, with_shown_text
from ..forms import NewRequestForm, ReplyForm

S = Ticket.Status
LIST_LIMIT = 100


def customer_required(view):
    """Signed in (else to the portal's sign-in page) as a customer (else 403: an agent's login
    has no requests of its own). The view gets the customer."""

    @login_required(login_url="portal:signin")
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        customer = selectors.customer_for_user(user=request.user)
        if customer is None:
            raise PermissionDenied
        return view(request, customer, *args, **kwargs)

    return wrapper


def _uploads(files) -> tuple[InboundAttachment, ...]:
    return tuple(
        InboundAttachment(
            filename=upload.name,
            content_type=upload.content_type or "application/octet-stream",
            content=upload.read(),
        )
        for upload in files
    )


@require_GET
@customer_required
def request_list(request, customer):
    tickets = list(selectors.ticket_list_for_customer(user=request.user)[:LIST_LIMIT])
    context = {
        "tickets": with_customer_status(tickets),
        "customer": customer,
        "shows_organization": customer.is_org_manager and customer.organization_id,
    }
    return render(request, "portal/request_list.html", context)


def _limits() -> dict:
    return {"attachment_limit": settings.JORNADA["ATTACHMENT_MAX_BYTES"], "max_files": MAX_FILES}


def _detail(request, customer, ticket, *, reply_form=None, status=200):
    ticket.customer_status, ticket.status_class = customer_status(ticket.status)
    conversation = with_shown_text(selectors.ticket_conversation_for_customer(ticket=ticket))
    context = {
        **_limits(),
        "ticket": ticket,
        "customer": customer,
        "conversation": conversation,
        "reply_form": reply_form or ReplyForm(),
        "can_reply": ticket.status != S.CLOSED,
        "can_solve": ticket.status not in (S.SOLVED, S.CLOSED),
    }
    return render(request, "portal/request_detail.html", context, status=status)


@require_GET
@customer_required
def request_detail(request, customer, number: int):
    ticket = selectors.ticket_get_for_customer(user=request.user, number=number)
    if ticket.number != number:  # merged into another: its conversation lives there now
        return redirect("portal:request-detail", number=ticket.number)
    return _detail(request, customer, ticket)


@require_POST
@customer_required
def request_reply(request, customer, number: int):
    ticket = selectors.ticket_get_for_customer(user=request.user, number=number)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, customer, ticket, reply_form=form, status=400)
    try:
        message = services.message_receive_from_portal(
            ticket=ticket,
            user=request.user,
            body_text=form.cleaned_data["body"],
            attachments=_uploads(form.cleaned_data["attachments"]),
            submission_id=str(form.cleaned_data["submission_id"]),
        )
    except TicketError as error:
        messages.error(request, error.message)
        return redirect("portal:request-detail", number=ticket.number)
    messages.success(request, _("Your message was sent."))
    url = reverse("portal:request-detail", args=[ticket.number])
    return redirect(f"{url}#message-{message.pk}")


@require_POST
@customer_required
def request_solve(request, customer, number: int):
    ticket = selectors.ticket_get_for_customer(user=request.user, number=number)
    try:
        services.ticket_solve_by_customer(ticket=ticket, user=request.user)
    except TicketError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Request #%(number)s is marked solved. Write to us if you need anything else.")
            % {"number": ticket.number},
        )
    return redirect("portal:request-detail", number=ticket.number)


@require_http_methods(["GET", "POST"])
@customer_required
def request_new(request, customer):
    """A new request, through the web channel's pipeline. The subject field asks the knowledge
    base for articles as the customer types (static/js/portal.js)."""
    form = NewRequestForm(request.POST or None, request.FILES or None)
    context = {"form": form, **kb.urls(), **_limits()}
    if request.method == "GET" or not form.is_valid():
        return render(
            request, "portal/request_new.html", context, status=200 if not form.errors else 400
        )
    data = form.cleaned_data
    submission_id = str(data["submission_id"])
    channel_services.portal_request_submit(
        user=request.user,
        customer=customer,
        subject=data["subject"],
        body=data["body"],
        attachments=[
            (upload.name, upload.content_type or "application/octet-stream", upload.read())
            for upload in data["attachments"]
        ],
        submission_id=submission_id,
        meta={
            "ip": request.META.get("REMOTE_ADDR", ""),
            "user_agent": request.headers.get("User-Agent", "")[:300],
            "language": request.LANGUAGE_CODE,
        },
    )
    kb.deflection_submitted(request, data["deflection_token"])
    return redirect("portal:request-sent", submission_id=submission_id)


@require_GET
@customer_required
def request_sent(request, customer, submission_id):
    """What became of a request just sent: its number once the pipeline has made the ticket
    (at once, as a rule), else a page that looks again in a moment."""
    event = channel_selectors.portal_submission(user=request.user, submission_id=str(submission_id))
    if event is None:
        raise Http404
    ticket = event.message.ticket if event.message_id else None
    return render(request, "portal/request_sent.html", {"ticket": ticket, "event": event})
