from django.urls import path

from . import views
from .adapters.email.webhooks import inbound_email_webhook
from .adapters.request_body import body_capped, email_webhook_limit
from .adapters.sms.webhooks import twilio_webhook
from .adapters.whatsapp.webhooks import whatsapp_webhook

app_name = "channels_app"

urlpatterns = [
    path(
        "email/inbound/<slug:esp>/",
        body_capped(email_webhook_limit)(inbound_email_webhook),
        name="email-inbound",
    ),
    path("whatsapp/webhook/", whatsapp_webhook, name="whatsapp-webhook"),
    path(
        "whatsapp/tickets/<int:number>/template/",
        views.whatsapp_template_send,
        name="whatsapp-template-send",
    ),
    path("sms/twilio/", twilio_webhook, name="sms-twilio"),
    path("sms/twilio/status/", twilio_webhook, name="sms-twilio-status"),
    path("web/form/", views.contact, {"embed": True}, name="contact-embed"),
]
