"""Filters and tags of the staff inbox's templates."""

import re

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from plaza.messaging.files import kind_label

register = template.Library()

_MENTION = re.compile(r"(?<![\w@])@([a-z0-9_.]{2,30})", re.IGNORECASE)


@register.filter
def mentions(text: str) -> str:
    """The text, escaped, with line breaks and every ``@handle`` highlighted."""
    escaped = str(conditional_escape(text or ""))
    marked = _MENTION.sub(lambda m: f'<mark class="inbox-mention">{m.group(0)}</mark>', escaped)
    return mark_safe(marked.replace("\n", "<br>"))  # noqa: S308 - escaped above


@register.filter
def duration(seconds) -> str:
    """A number of seconds as "2 d 3 h", "3 h 5 min" or "4 min"; "—" when there is none."""
    if seconds is None:
        return "—"
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)s min") % {"m": minutes}
    return _("%(s)s s") % {"s": seconds}


@register.filter
def when(moment) -> str:
    """A time in a list: the hour today, else the day."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    today = timezone.localtime(timezone.now()).date()
    shown = (
        local.strftime("%H:%M")
        if local.date() == today
        else template.defaultfilters.date(local, "j M")
    )
    return format_html('<time datetime="{}">{}</time>', local.isoformat(), shown)


@register.simple_tag
def file_kind(kind: str) -> str:
    """What a customer sent, in words: "Video", "Voice message" or "File"."""
    return kind_label(kind)
