from django import forms
from django.conf import settings
from django.core import signing
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

FORM_TOKEN_SALT = "jornada.webform"  # noqa: S105 (a namespace, not a secret)
FORM_TOKEN_MAX_AGE = 24 * 3600
MAX_FILES = 5


def new_form_token() -> str:
    """A signed token, valid for a day: the embeddable form works on other sites (no CSRF cookie
    there) and every submission carries a unique id, so a double submit is one ticket."""
    import uuid

    return signing.TimestampSigner(salt=FORM_TOKEN_SALT).sign(uuid.uuid4().hex)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class AttachmentsField(MultipleFileField):
    """Files attached to a message: at most MAX_FILES, each within ATTACHMENT_MAX_BYTES."""

    def __init__(self, *args, max_files: int = MAX_FILES, **kwargs):
        self.max_files = max_files
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = super().clean(data, initial)
        limit = settings.JORNADA["ATTACHMENT_MAX_BYTES"]
        if len(files) > self.max_files:
            raise forms.ValidationError(_("Attach at most %(n)d files.") % {"n": self.max_files})
        for upload in files:
            if upload.size > limit:
                raise forms.ValidationError(
                    _("“%(name)s” is larger than %(limit)s.")
                    % {"name": upload.name, "limit": filesizeformat(limit)}
                )
        return files


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(label=_("Your email"))
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("How can we help?"), widget=forms.Textarea, max_length=20000)
    attachments = AttachmentsField(label=_("Attachments"))
    # Humans leave this empty: it is hidden from them, and bots fill every field they see.
    website = forms.CharField(required=False, label=_("Leave this field empty"))
    token = forms.CharField(widget=forms.HiddenInput)

    def clean_token(self):
        try:
            return signing.TimestampSigner(salt=FORM_TOKEN_SALT).unsign(
                self.cleaned_data["token"], max_age=FORM_TOKEN_MAX_AGE
            )
        except signing.BadSignature as exc:
            raise forms.ValidationError(
                _("This form has expired. Reload the page and send it again."), code="expired"
            ) from exc

    @property
    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))
