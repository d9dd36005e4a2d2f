from django.urls import path

from . import views
from .adapters.email.webhooks import inbound_email_webhook

app_name = "channels_app"

urlpatterns = [
    path("email/inbound/<slug:esp>/", inbound_email_webhook, name="email-inbound"),
    path("web/form/", views.contact, {"embed": True}, name="contact-embed"),
]
