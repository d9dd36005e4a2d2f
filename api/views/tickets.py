"""Tickets: list, read, create, update, and the actions an agent takes on one. Every change is
one call to the tickets services (the same ones every channel and page uses); reads go through
the agent-scoped selectors, so a ticket out of reach answers 404."""

from django.db import connection, transaction
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from sla.models import TicketSLA
from tickets import selectors, services
from tickets.inbound import InboundAttachment, NormalizedMessage
from tickets.models import Channel, Ticket

from ..filters import TicketFilter, TicketOrdering
from ..pagination import ApiCursorPagination, IdCursorPagination
from ..serializers import tickets as s
from ..serializers.resources import TicketSLASerializer
from .base import ApiViewSet

NOT_FOUND = OpenApiResponse(description="No such ticket within your reach.")
REFUSED = OpenApiResponse(description="The change is not allowed (error code says why).")


def uploaded(files) -> list[InboundAttachment]:
    return [
        InboundAttachment(
            filename=f.name or "attachment",
            content_type=f.content_type or "application/octet-stream",
            content=f.read(),
        )
        for f in files or ()
    ]


def ticket_queryset(agent, *, team_id: int | None = None, assignee_id: int | None = None):
    return (
        selectors.ticket_scope_for_agent(agent=agent, team_id=team_id, assignee_id=assignee_id)
        .select_related("customer", "assignee", "team", "merged_into")
        .prefetch_related("tags")
    )


@extend_schema_view(
    list=extend_schema(
        summary="List tickets",
        description="Tickets within your reach, newest change first by default (newest "
        "first when filtered on `created_after`/`created_before`); cursor pages of 50 "
        "(`page_size` up to 200); `updated_since` for incremental sync.",
    ),
    retrieve=extend_schema(
        summary="Read a ticket", responses={200: s.TicketSerializer, 404: NOT_FOUND}
    ),
)
class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = s.TicketSerializer
    lookup_field = "number"
    lookup_value_regex = r"\d+"
    filter_backends = [DjangoFilterBackend, TicketOrdering]
    filterset_class = TicketFilter
    ordering_fields = ["updated_at", "created_at", "number", "sla_due_at"]
    ordering = ("-updated_at", "-id")

    @property
    def scope_resource(self) -> str:
        if self.action in ("messages", "reply", "note"):
            return "messages"
        return "sla" if self.action == "sla" else "tickets"

    def get_queryset(self):
        if self.action != "list":
            return ticket_queryset(self.request.user)
        # A list filtered on a team or an assignee reads the visibility rule written for them
        # (the filters apply again: the same rows, and PostgreSQL counts a repeated equality
        # once).
        filters = TicketFilter(self.request.query_params, queryset=Ticket.objects.none()).form
        narrowing = filters.cleaned_data if filters.is_valid() else {}
        return ticket_queryset(
            self.request.user,
            team_id=narrowing.get("team"),
            assignee_id=narrowing.get("assignee"),
        )

    def list(self, request, *args, **kwargs):
        # PostgreSQL's parallel index scan under a LIMIT has each worker walk its share of the
        # newest-change-first index until it finds rows, and a share with none is walked to its
        # end: an N1 agent's tier=N2&channel=whatsapp took 264 ms instead of 11 at a million
        # tickets. A page is read by one process (SET LOCAL: this transaction only, safe behind
        # PgBouncer's transaction mode).
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            return super().list(request, *args, **kwargs)

    def _ticket(self) -> Ticket:
        return selectors.ticket_get_for_agent(agent=self.user, number=self.kwargs["number"])

    def _answer(self, ticket: Ticket, code=status.HTTP_200_OK) -> Response:
        # Unscoped: the agent may just have moved it out of their reach (an escalation), and
        # is told its new state once.
        fresh = (
            Ticket.objects.select_related("customer", "assignee", "team", "merged_into")
            .prefetch_related("tags")
            .get(pk=ticket.pk)
        )
        return Response(s.TicketSerializer(fresh, context={"request": self.request}).data, code)

    def _valid(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context={"request": self.request})
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(
        summary="Create a ticket",
        description="A customer's request, received like every channel's messages (channel "
        "`api`). The requester is found or created by identity. 201 with the new ticket; 200 "
        "when the request joined a ticket the customer already has (a `[#number]` subject "
        "tag, or an `external_id` sent before). Send an `Idempotency-Key` header to retry "
        "safely.",
        request=s.TicketCreate,
        responses={201: s.TicketSerializer, 200: s.TicketSerializer},
    )
    def create(self, request):
        data = self._valid(s.TicketCreate)
        requester = data["requester"]
        external_id = data["external_id"]
        incoming = NormalizedMessage(
            channel=Channel.API,
            sender_kind=requester["kind"],
            sender_value=requester["value"],
            sender_name=requester["name"],
            subject=data["subject"],
            body_text=data["body"],
            body_html=data["body_html"],
            # Namespaced per user: nobody finds another integrator's ticket by guessing ids.
            external_id=f"api:{request.user.pk}:{external_id}" if external_id else "",
            sent_at=timezone.now(),
            metadata={"api_user": request.user.pk},
        )
        changes = data.get("priority") not in (None, Ticket.Priority.NORMAL) or data.get("tags")
        # No savepoint inside the Idempotency-Key's transaction: an error here fails it whole.
        with transaction.atomic(savepoint=False):
            # A ticket changed right after it opens is routed by the rules' task on what it
            # became, not at birth on what it was for an instant.
            # Without an external id the message cannot be a duplicate: the savepoint that
            # would catch one is two round trips for nothing.
            result = services.message_receive(
                incoming=incoming, route_at_birth=not changes, savepoint=bool(external_id)
            )
            ticket = result.ticket
            if data.get("priority") and data["priority"] != ticket.priority:
                ticket = services.ticket_change_priority(
                    ticket=ticket, priority=data["priority"], by=request.user
                )
            if data.get("tags"):
                ticket = services.ticket_tag(ticket=ticket, add=data["tags"], by=request.user)
        if not result.created_ticket:
            return self._answer(ticket, status.HTTP_200_OK)
        if changes:
            return self._answer(ticket, status.HTTP_201_CREATED)
        # Just opened, as the service left it: no tags, no merge, its customer at hand; no need
        # to read it back.
        ticket.api_tags = []
        return Response(
            s.TicketSerializer(ticket, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Update a ticket",
        description="Priority and tags (exactly the given ones), each through its service.",
        request=s.TicketUpdate,
        responses={200: s.TicketSerializer, 404: NOT_FOUND, 422: REFUSED},
        examples=[
            OpenApiExample("Raise priority", value={"priority": "urgent"}, request_only=True)
        ],
    )
    def partial_update(self, request, number=None):
        ticket = self._ticket()
        data = self._valid(s.TicketUpdate)
        with transaction.atomic():
            if "priority" in data:
                ticket = services.ticket_change_priority(
                    ticket=ticket, priority=data["priority"], by=request.user
                )
            if "tags" in data:
                ticket = services.ticket_tag(ticket=ticket, exactly=data["tags"], by=request.user)
        return self._answer(ticket)

    @extend_schema(
        summary="A ticket's messages",
        description="Its conversation, internal notes included, oldest first.",
        responses={200: s.MessageSerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def messages(self, request, number=None):
        ticket = self._ticket()
        messages = (
            ticket.messages.select_related("author_user", "author_customer")
            .prefetch_related("attachments")
            .order_by("created_at", "id")
        )
        page = self.paginate_queryset(messages)
        return self.get_paginated_response(
            s.MessageSerializer(page, many=True, context={"request": request}).data
        )

    @property
    def paginator(self):
        if not hasattr(self, "_paginator"):
            self._paginator = (
                IdCursorPagination() if self.action == "messages" else ApiCursorPagination()
            )
        return self._paginator

    @extend_schema(
        summary="A ticket's SLA clocks",
        description="One clock per target (first response, next response, resolution).",
        responses={200: TicketSLASerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def sla(self, request, number=None):
        ticket = self._ticket()
        clocks = TicketSLA.objects.filter(ticket=ticket).select_related("policy").order_by("id")
        return Response(TicketSLASerializer(clocks, many=True).data)

    @extend_schema(
        summary="Reply to the customer",
        description="Queued for delivery on the ticket's channel (or `channel`); JSON, or "
        "multipart with `attachments` files.",
        request={"application/json": s.ReplyAction, "multipart/form-data": s.ReplyAction},
        responses={201: s.MessageSerializer, 404: NOT_FOUND, 422: REFUSED},
        examples=[
            OpenApiExample(
                "Answer and wait",
                value={"body": "Olá! Já verificamos.", "then_status": "pending"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def reply(self, request, number=None):
        ticket = self._ticket()
        data = self._valid(s.ReplyAction)
        message = services.message_reply(
            ticket=ticket,
            by=request.user,
            body_text=data["body"],
            body_html=data["body_html"],
            channel=data.get("channel"),
            then_status=data.get("then_status"),
            attachments=uploaded(data.get("attachments")),
        )
        return Response(
            s.MessageSerializer(message, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Add an internal note",
        request={"application/json": s.NoteAction, "multipart/form-data": s.NoteAction},
        responses={201: s.MessageSerializer, 404: NOT_FOUND, 422: REFUSED},
        examples=[
            OpenApiExample("Note", value={"body": "@ana pode olhar o boleto?"}, request_only=True)
        ],
    )
    @action(detail=True, methods=["post"])
    def note(self, request, number=None):
        ticket = self._ticket()
        data = self._valid(s.NoteAction)
        message = services.note_add(
            ticket=ticket,
            by=request.user,
            body_text=data["body"],
            attachments=uploaded(data.get("attachments")),
        )
        return Response(
            s.MessageSerializer(message, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Assign",
        request=s.AssignAction,
        responses={200: s.TicketSerializer, 404: NOT_FOUND, 422: REFUSED},
        examples=[OpenApiExample("Assign", value={"assignee": 7}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, number=None):
        ticket = self._ticket()
        data = self._valid(s.AssignAction)
        ticket = services.ticket_assign(
            ticket=ticket, assignee=data["assignee"], team=data.get("team"), by=request.user
        )
        return self._answer(ticket)

    @extend_schema(
        summary="Claim (assign to yourself)",
        request=s.EmptyAction,
        responses={200: s.TicketSerializer, 404: NOT_FOUND, 422: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, number=None):
        return self._answer(services.ticket_claim(ticket=self._ticket(), by=request.user))

    @extend_schema(
        summary="Escalate",
        description="Up a tier (the next one by default), with a reason.",
        request=s.TierAction,
        responses={200: s.TicketSerializer, 404: NOT_FOUND, 422: REFUSED},
        examples=[
            OpenApiExample(
                "Escalate",
                value={"reason": "Erro no faturamento", "to_tier": "N2"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request, number=None):
        ticket = self._ticket()
        data = self._valid(s.TierAction)
        ticket = services.ticket_escalate(
            ticket=ticket,
            reason=data["reason"],
            to_tier=data.get("to_tier"),
            team=data.get("team"),
            by=request.user,
        )
        return self._answer(ticket)

    @extend_schema(
        summary="De-escalate",
        description="Down a tier (the previous one by default), with a reason.",
        request=s.TierAction,
        responses={200: s.TicketSerializer, 404: NOT_FOUND, 422: REFUSED},
    )
    @action(detail=True, methods=["post"], url_path="de-escalate")
    def deescalate(self, request, number=None):
        ticket = self._ticket()
        data = self._valid(s.TierAction)
        ticket = services.ticket_deescalate(
            ticket=ticket,
            reason=data["reason"],
            to_tier=data.get("to_tier"),
            team=data.get("team"),
            by=request.user,
        )
        return self._answer(ticket)

    @extend_schema(
        summary="Change status",
        request=s.StatusAction,
        responses={200: s.TicketSerializer, 404: NOT_FOUND, 422: REFUSED},
        examples=[OpenApiExample("Solve", value={"status": "solved"}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def status(self, request, number=None):
        ticket = self._ticket()
        data = self._valid(s.StatusAction)
        ticket = services.ticket_change_status(
            ticket=ticket, to_status=data["status"], reason=data["reason"], by=request.user
        )
        return self._answer(ticket)

    @extend_schema(
        summary="Merge into another ticket",
        description="This ticket's messages and tags move to `ticket`; this one closes.",
        request=s.OtherTicketAction,
        responses={200: s.TicketSerializer, 404: NOT_FOUND, 422: REFUSED},
        examples=[OpenApiExample("Merge", value={"ticket": 1042}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, number=None):
        source = self._ticket()
        data = self._valid(s.OtherTicketAction)
        target = selectors.ticket_get_for_agent(agent=request.user, number=data["ticket"])
        return self._answer(services.ticket_merge(source=source, target=target, by=request.user))

    @extend_schema(
        summary="Link to another ticket",
        request=s.OtherTicketAction,
        responses={200: s.TicketSerializer, 404: NOT_FOUND, 422: REFUSED},
        examples=[OpenApiExample("Link", value={"ticket": 1042}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def link(self, request, number=None):
        ticket = self._ticket()
        data = self._valid(s.OtherTicketAction)
        other = selectors.ticket_get_for_agent(agent=request.user, number=data["ticket"])
        services.ticket_link(ticket=ticket, other=other, by=request.user)
        return self._answer(ticket)
