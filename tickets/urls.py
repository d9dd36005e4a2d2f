from django.urls import path

from . import views

urlpatterns = [
    path("agent/", views.inbox, name="inbox"),
    path("agent/tickets/<int:number>/", views.ticket_detail, name="ticket-detail"),
    path("attachments/<int:pk>/<path:filename>", views.attachment_download, name="attachment"),
]
