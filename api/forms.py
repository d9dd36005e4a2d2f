"""The form of the API tokens page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import SCOPE_RESOURCES

LEVELS = [("", _("none")), ("read", _("read")), ("write", _("read and write"))]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    expires_in_days = forms.IntegerField(
        label=_("Expires in (days)"), min_value=1, max_value=3650, required=False,
        help_text=_("Empty: never."),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for resource in SCOPE_RESOURCES:
            self.fields[f"scope_{resource}"] = forms.ChoiceField(
                label=resource.replace("_", " "), choices=LEVELS, required=False
            )

    def scopes(self) -> list[str]:
        return [
            f"{resource}:{self.cleaned_data[f'scope_{resource}']}"
            for resource in SCOPE_RESOURCES
            if self.cleaned_data.get(f"scope_{resource}")
        ]
