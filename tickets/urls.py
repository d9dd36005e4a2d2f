from django.urls import path

from . import views

urlpatterns = [
    path("attachments/<int:pk>/<path:filename>", views.attachment_download, name="attachment"),
]
