"""Forms of the knowledge base's pages."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

MAX_QUERY = 200


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search the help center"), max_length=MAX_QUERY, required=False)
    lang = forms.ChoiceField(
        label=_("Language"), choices=[("", "—"), *settings.LANGUAGES], required=False
    )

    def clean_q(self) -> str:
        return " ".join(self.cleaned_data["q"].split())


class FeedbackForm(forms.Form):
    helpful = forms.ChoiceField(
        label=_("Was this article helpful?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
