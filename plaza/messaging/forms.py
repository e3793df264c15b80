"""Forms of the staff inbox: they parse what the pages post; the rules live in the services,
whose errors the views put next to the field they name (``form_add_domain_error``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from plaza.messaging.models import (
    MESSAGE_MAX_LENGTH,
    TEMPLATE_BUTTON_VALUE_MAX_LENGTH,
    TEMPLATE_HEADER_MAX_LENGTH,
    TEMPLATE_VALUE_MAX_LENGTH,
    TEMPLATE_VALUES_MAX,
    Channel,
)

WEEKDAYS = (
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
)
TARGET_MAX_MINUTES = 60 * 24 * 30
# Service field names -> form field names, for form_add_domain_error.
SETTINGS_FIELDS = {"hours": "hours_0_start"}


def _time_widget() -> forms.TimeInput:
    return forms.TimeInput(format="%H:%M", attrs={"type": "time"})


class InboxFilterForm(forms.Form):
    """The list's filters, from the query string; anything unknown falls back to the default."""

    status = forms.CharField(required=False)
    channel = forms.ChoiceField(required=False, choices=[("", "")] + list(Channel.choices))
    label = forms.CharField(required=False, max_length=40)
    q = forms.CharField(required=False, max_length=100)

    def values(self) -> dict:
        if not self.is_valid():
            return {"status": "open", "channel": "", "label": "", "q": ""}
        data = self.cleaned_data
        return {
            "status": data["status"] or "open",
            "channel": data["channel"],
            "label": data["label"].strip(),
            "q": " ".join(data["q"].split()),
        }


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply"),
        required=False,
        max_length=MESSAGE_MAX_LENGTH * 2,  # the service says how long a message may be
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    image = forms.FileField(label=_("Photo or file"), required=False)
    product_id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    note = forms.BooleanField(label=_("Private note"), required=False)


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Approved template"), max_length=512)
    language = forms.CharField(label=_("Language code"), max_length=8, initial="en")
    values = forms.CharField(
        label=_("Values, one per line"),
        required=False,
        max_length=TEMPLATE_VALUES_MAX * (TEMPLATE_VALUE_MAX_LENGTH + 1),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    header = forms.CharField(
        label=_("Header value"),
        required=False,
        max_length=TEMPLATE_HEADER_MAX_LENGTH * 2,  # the service says how long it may be
    )
    header_file = forms.FileField(label=_("Or a header photo, video or document"), required=False)
    button = forms.CharField(
        label=_("Button value"),
        required=False,
        max_length=TEMPLATE_BUTTON_VALUE_MAX_LENGTH * 2,
    )

    def values_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("values", "").splitlines()]


class AssignForm(forms.Form):
    # "me", "" (nobody) or a staff member's user id: the service checks they are staff.
    assignee = forms.CharField(label=_("Assign to"), required=False, max_length=20)


class LabelsForm(forms.Form):
    labels = forms.CharField(
        label=_("Labels"),
        required=False,
        max_length=1000,
        help_text=_("Separate labels with commas."),
    )

    def names(self) -> list[str]:
        return [n.strip() for n in self.cleaned_data["labels"].split(",") if n.strip()]


class BotForm(forms.Form):
    enabled = forms.BooleanField(required=False)


class InboxSettingsForm(forms.Form):
    bot_enabled = forms.BooleanField(label=_("Shopping bot on"), required=False)
    greeting = forms.CharField(
        label=_("Greeting"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The bot's first words to a new customer."),
    )
    away_message = forms.CharField(
        label=_("Out of hours message"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Sent when a customer asks for a person outside opening hours."),
    )
    handoff_keywords = forms.CharField(
        label=_("Words that call a person"),
        required=False,
        max_length=300,
        help_text=_("Separate words with commas, for example: agent, human, complaint."),
    )
    timezone = forms.CharField(
        label=_("Time zone"), max_length=60, help_text=_("For example Asia/Manila.")
    )
    first_response_minutes = forms.IntegerField(
        label=_("First response target (minutes)"), min_value=1, max_value=TARGET_MAX_MINUTES
    )
    resolution_minutes = forms.IntegerField(
        label=_("Resolution target (minutes)"), min_value=1, max_value=TARGET_MAX_MINUTES
    )
    round_robin = forms.BooleanField(
        label=_("Assign new conversations in turn to available agents"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day, name in WEEKDAYS:
            self.fields[f"hours_{day}_start"] = forms.TimeField(
                label=_("%(day)s opens") % {"day": name}, required=False, widget=_time_widget()
            )
            self.fields[f"hours_{day}_end"] = forms.TimeField(
                label=_("%(day)s closes") % {"day": name}, required=False, widget=_time_widget()
            )

    @classmethod
    def initial_from(cls, settings_row) -> dict:
        initial = {
            name: getattr(settings_row, name)
            for name in (
                "bot_enabled",
                "greeting",
                "away_message",
                "handoff_keywords",
                "timezone",
                "first_response_minutes",
                "resolution_minutes",
                "round_robin",
            )
        }
        for day, span in (settings_row.hours or {}).items():
            initial[f"hours_{day}_start"], initial[f"hours_{day}_end"] = span
        return initial

    def day_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (name, self[f"hours_{day}_start"], self[f"hours_{day}_end"]) for day, name in WEEKDAYS
        ]

    def clean(self):
        data = super().clean()
        hours = {}
        for day, _name in WEEKDAYS:
            start, end = data.get(f"hours_{day}_start"), data.get(f"hours_{day}_end")
            if start is None and end is None:
                continue
            if start is None or end is None:
                self.add_error(
                    f"hours_{day}_end" if end is None else f"hours_{day}_start",
                    _("Give both the opening and the closing time, or neither."),
                )
                continue
            hours[str(day)] = [start.strftime("%H:%M"), end.strftime("%H:%M")]
        data["hours"] = hours
        return data

    def changes(self) -> dict:
        data = self.cleaned_data
        return {
            "bot_enabled": data["bot_enabled"],
            "greeting": data["greeting"],
            "away_message": data["away_message"],
            "handoff_keywords": data["handoff_keywords"],
            "timezone": data["timezone"].strip(),
            "hours": data["hours"],
            "first_response_minutes": data["first_response_minutes"],
            "resolution_minutes": data["resolution_minutes"],
            "round_robin": data["round_robin"],
        }


class FaqEntryForm(forms.Form):
    question = forms.CharField(label=_("Question"), max_length=200)
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        max_length=300,
        help_text=_("Words that also lead the bot to this answer, separated by commas."),
    )
    answer = forms.CharField(
        label=_("Answer"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CannedReplyForm(forms.Form):
    shortcode = forms.CharField(
        label=_("Shortcode"),
        max_length=31,
        help_text=_("Type /shortcode in a reply to send this text."),
    )
    text = forms.CharField(
        label=_("Reply"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AgentForm(forms.Form):
    user_id = forms.IntegerField(min_value=1)
    available = forms.BooleanField(required=False)


class PostKeywordsForm(forms.Form):
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        max_length=500,
        help_text=_("A comment with one of these words gets a message offering the product."),
    )
