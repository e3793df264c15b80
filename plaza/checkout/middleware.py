"""Where a shopper came from: the UTM parameters and ad click ids of the page they landed on
(see the channels spec, section 8), kept in their session so the order can record them."""

from django.http import HttpRequest

from plaza.orders.services import CLICK_ID_PARAMS, UTM_FIELDS

SESSION_KEY = "plaza_attribution"
# Click ids are case-sensitive values, but some platforms vary the parameter's case.
_CLICK_IDS = {name.lower(): name for name in CLICK_ID_PARAMS}


def attribution_from(request: HttpRequest) -> dict | None:
    """The attribution a landing URL carries, or None when it carries none."""
    if request.method != "GET" or not request.GET:
        return None
    found: dict = {}
    for key, value in request.GET.items():
        name = key.lower()
        if name in UTM_FIELDS and value:
            found[name] = value[:200]
        elif name in _CLICK_IDS and value:
            found.setdefault("click_ids", {})[_CLICK_IDS[name]] = value[:500]
    if not found:
        return None
    found["landing_url"] = request.build_absolute_uri()[:2000]
    return found


class AttributionMiddleware:
    """Keeps the latest landing's attribution in the session (last touch wins)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        found = attribution_from(request)
        if found is not None and hasattr(request, "session"):
            request.session[SESSION_KEY] = found
        return self.get_response(request)
