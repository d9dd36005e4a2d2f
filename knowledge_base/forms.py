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


# --- The agents' editor ---------------------------------------------------------------------------


class ArticleTextForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A short answer in a few lines; agents insert it into replies."),
    )
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=_(
            "Markdown: **bold**, ## heading, - list, [link](https://…), ![image](/kb-media/…). "
            "A YouTube or Vimeo link alone on its line shows the video."
        ),
    )
    note = forms.CharField(label=_("What changed (optional)"), max_length=200, required=False)


class ArticleNewForm(ArticleTextForm):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=[("public", _("Public")), ("internal", _("Internal (agents only)"))],
    )


class ArticleDetailsForm(forms.Form):
    slug = forms.SlugField(label=_("Address (slug)"), max_length=200, allow_unicode=False)
    section = forms.ModelChoiceField(label=_("Section"), queryset=None, required=False)
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=[("public", _("Public")), ("internal", _("Internal (agents only)"))],
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)
    review_by = forms.DateField(
        label=_("Review by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=500, help_text=_("Separated by commas.")
    )

    def __init__(self, *args, sections, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = sections
        self.fields["owner"].queryset = owners

    def tag_names(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["tags"].split(",") if name.strip()]


class RelatedForm(forms.Form):
    other = forms.IntegerField(label=_("Article"), min_value=1)
    remove = forms.BooleanField(required=False)


class ArticleFileForm(forms.Form):
    file = forms.FileField(label=_("Image or file"))
