from django.urls import path

from . import views
from .views import actions, availability, notifications

TICKET = "agent/tickets/<int:number>/"

urlpatterns = [
    path("agent/", views.inbox, name="inbox"),
    path("agent/bulk/", views.inbox_bulk, name="inbox-bulk"),
    path("agent/views/", views.saved_view_create, name="saved-view-create"),
    path("agent/views/<int:pk>/rename/", views.saved_view_rename, name="saved-view-rename"),
    path("agent/views/<int:pk>/delete/", views.saved_view_delete, name="saved-view-delete"),
    path("agent/tickets/<int:number>/", views.ticket_detail, name="ticket-detail"),
    path("agent/next/", views.ticket.next_ticket, name="ticket-next"),
    path(TICKET + "reply/", actions.reply, name="ticket-reply"),
    path(TICKET + "note/", actions.note, name="ticket-note"),
    path(TICKET + "claim/", actions.claim, name="ticket-claim"),
    path(TICKET + "chat/end/", actions.chat_end, name="ticket-chat-end"),
    path(TICKET + "assign/", actions.assign, name="ticket-assign"),
    path(TICKET + "status/", actions.change_status, name="ticket-status"),
    path(TICKET + "priority/", actions.change_priority, name="ticket-priority"),
    path(TICKET + "escalate/", actions.escalate, name="ticket-escalate"),
    path(TICKET + "deescalate/", actions.deescalate, name="ticket-deescalate"),
    path(TICKET + "tags/", actions.set_tags, name="ticket-tags"),
    path(TICKET + "merge/", actions.merge, name="ticket-merge"),
    path(TICKET + "link/", actions.link, name="ticket-link"),
    path(TICKET + "unlink/<int:other>/", actions.unlink, name="ticket-unlink"),
    path(TICKET + "split/<int:message_id>/", actions.split, name="ticket-split"),
    path("agent/availability/", availability.set_availability, name="agent-availability"),
    path("agent/notifications/", notifications.notification_list, name="notifications"),
    path(
        "agent/notifications/<int:pk>/open/",
        notifications.notification_open,
        name="notification-open",
    ),
    path("agent/notifications/read/", notifications.notifications_read, name="notifications-read"),
    path("agent/tickets/<int:number>/canned/", views.canned_picker, name="canned-picker"),
    path("agent/canned/", views.canned_list, name="canned-list"),
    path("agent/canned/new/", views.canned_create, name="canned-create"),
    path("agent/canned/<int:pk>/edit/", views.canned_edit, name="canned-edit"),
    path("agent/canned/<int:pk>/delete/", views.canned_delete, name="canned-delete"),
    path("attachments/<int:pk>/<path:filename>", views.attachment_download, name="attachment"),
]
