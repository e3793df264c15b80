"""Forms of the composer (a shop's, in the back office, and a creator's, at /me/posts/new/).
They check the shape of the input; the rules (how many photos, which products, when) are the
services' to decide."""

import json
from datetime import UTC, datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from plaza.social.media import MAX_IMAGES
from plaza.social.models import CAPTION_MAX_LENGTH
from plaza.social.services import MAX_TAGS_PER_POST, TagInput

MAX_TAG_ROWS = 100  # more than any post may have; the service says how many are allowed


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MediaField(forms.FileField):
    """Several files in one input; whether they make a post is the service's decision."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/*,video/mp4,video/quicktime,video/webm"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            files = [single(item, initial) for item in data if item]
            if not files and self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return files
        return [single(data, initial)] if data else []


class PostComposeForm(forms.Form):
    PUBLISH_CHOICES = [
        ("now", _("Publish now")),
        ("schedule", _("Schedule")),
        ("draft", _("Save as a draft")),
    ]

    media = MediaField(
        label=_("Photos or video"),
        error_messages={"required": _("Add at least one photo or a video.")},
        help_text=_("1 to 10 photos (JPEG, PNG, WebP, GIF), or one video (MP4, MOV, WebM)."),
    )
    caption = forms.CharField(
        label=_("Caption"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": CAPTION_MAX_LENGTH}),
        help_text=_("Use #hashtags so that shoppers find the post."),
    )
    tags = forms.CharField(required=False, widget=forms.HiddenInput)
    publish = forms.ChoiceField(
        label=_("When"), choices=PUBLISH_CHOICES, initial="now", widget=forms.RadioSelect
    )
    publish_at = forms.CharField(
        label=_("Date and time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    # Minutes the browser's clock is behind UTC on the chosen date (JavaScript's
    # getTimezoneOffset()); without it the time is read in the server's time zone.
    tz_offset = forms.IntegerField(
        required=False, min_value=-14 * 60, max_value=14 * 60, widget=forms.HiddenInput
    )

    def __init__(self, *args, allow_draft: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_draft:
            # A creator has no list of drafts to come back to: publish now or schedule.
            self.fields["publish"].choices = [
                (value, label) for value, label in self.PUBLISH_CHOICES if value != "draft"
            ]

    def clean_tags(self) -> list[TagInput]:
        raw = self.cleaned_data.get("tags") or "[]"
        try:
            rows = json.loads(raw)
            if not isinstance(rows, list) or len(rows) > MAX_TAG_ROWS:
                raise ValueError
            return [
                TagInput(
                    product_id=int(row["product_id"]),
                    x=float(row["x"]),
                    y=float(row["y"]),
                    media_index=int(row.get("media_index", 0)),
                )
                for row in rows
            ]
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError):
            raise forms.ValidationError(
                _("The product tags could not be read. Place them again.")
            ) from None

    def clean(self):
        data = super().clean()
        text = (data.get("publish_at") or "").strip()
        data["publish_at"] = None
        if data.get("publish") == "schedule":
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                self.add_error("publish_at", _("Choose a date and time to publish."))
                return data
            if timezone.is_naive(moment):
                offset = data.get("tz_offset")
                if offset is None:
                    moment = timezone.make_aware(moment)
                else:
                    moment = (moment + timedelta(minutes=offset)).replace(tzinfo=UTC)
            data["publish_at"] = moment
        return data

    def composer_state(self) -> dict:
        """What the composer's Alpine component starts from: after a refused submit, the caption,
        the choice of when and the tags placed so far (with their titles for the list)."""
        tags = []
        if self.is_bound:
            try:
                rows = json.loads(self.data.get("tags") or "[]")
            except ValueError:
                rows = []
            for row in rows if isinstance(rows, list) else []:
                if isinstance(row, dict):
                    try:
                        tags.append(
                            {
                                "product_id": int(row["product_id"]),
                                "x": float(row["x"]),
                                "y": float(row["y"]),
                                "media_index": int(row.get("media_index", 0)),
                                "title": str(row.get("title", ""))[:200],
                                "thumb": str(row.get("thumb", ""))[:300],
                            }
                        )
                    except (KeyError, TypeError, ValueError, OverflowError):
                        continue
        return {
            "tags": tags[:MAX_TAG_ROWS],
            "caption": self.data.get("caption", "") if self.is_bound else "",
            "publish": self.data.get("publish", "now") if self.is_bound else "now",
            "publishAt": self.data.get("publish_at", "") if self.is_bound else "",
            "maxTags": MAX_TAGS_PER_POST,
            "maxImages": MAX_IMAGES,
            "messages": {
                "mixed": gettext("A post has 1 to 10 photos, or one video on its own."),
                "tooMany": gettext("A post has at most %(n)s photos.") % {"n": MAX_IMAGES},
                "tooManyTags": gettext("A post has at most %(n)s product tags.")
                % {"n": MAX_TAGS_PER_POST},
            },
        }
