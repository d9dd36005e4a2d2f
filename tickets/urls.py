from django.urls import path

from . import views

urlpatterns = [
    path("agent/", views.inbox, name="inbox"),
    path("agent/tickets/<int:number>/", views.ticket_detail, name="ticket-detail"),
    path("agent/tickets/<int:number>/canned/", views.canned_picker, name="canned-picker"),
    path("agent/tickets/<int:number>/kb/", views.kb_picker, name="kb-picker"),
    path("agent/canned/", views.canned_list, name="canned-list"),
    path("agent/canned/new/", views.canned_create, name="canned-create"),
    path("agent/canned/<int:pk>/edit/", views.canned_edit, name="canned-edit"),
    path("agent/canned/<int:pk>/delete/", views.canned_delete, name="canned-delete"),
    path("attachments/<int:pk>/<path:filename>", views.attachment_download, name="attachment"),
]
