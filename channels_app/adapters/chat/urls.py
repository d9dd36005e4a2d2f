"""/chat/...: the visitor's HTTP side of the live chat (docs/chat.md). /chat/demo/ is the demo
page's (name chat-demo)."""

from django.urls import path

from . import api, views

urlpatterns = [
    path("widget/<str:public_key>/", views.chat_widget_frame, name="chat-widget-frame"),
    path("transcript/", views.chat_transcript, name="chat-transcript"),
    path("verify/<str:signed>/", views.chat_verify_email, name="chat-verify-email"),
    path("file/<str:signed>/", views.chat_file, name="chat-file"),
    path("api/<str:public_key>/send", api.chat_send, name="chat-send"),
    path("api/<str:public_key>/poll", api.chat_poll, name="chat-poll"),
    path("api/<str:public_key>/upload", api.chat_upload, name="chat-upload"),
    path("api/<str:public_key>/offline", api.chat_offline, name="chat-offline"),
]
