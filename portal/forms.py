import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from channels_app.forms import AttachmentsField


class SignInLinkForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )


class _Submission(forms.Form):
    # A one-time id per form shown: the same form sent twice (a double click, a retry after a
    # timeout) is one message, not two.
    submission_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class ReplyForm(_Submission):
    body = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20000,
        required=False,
    )
    attachments = AttachmentsField(label=_("Attachments"))

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("body") or "").strip() and not cleaned.get("attachments"):
            raise forms.ValidationError(_("Write a message or attach a file."), code="empty")
        return cleaned


class NewRequestForm(_Submission):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("A few words about what you need. Articles that may answer it appear below."),
    )
    body = forms.CharField(
        label=_("Describe your request"),
        widget=forms.Textarea(attrs={"rows": 7}),
        max_length=20000,
    )
    attachments = AttachmentsField(label=_("Attachments"))
    # The knowledge base's record of the articles suggested while this request was written.
    deflection_token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
