from django import template

register = template.Library()


@register.filter
def split(value: str) -> list[str]:
    """ "a b c"|split -> ["a", "b", "c"] (for looping over field names in a template)."""
    return str(value).split()


@register.filter
def field(form, name: str):
    """The bound field ``name`` of ``form``."""
    return form[name]


@register.filter
def shipping_price(method, subtotal: int) -> int:
    """What ``method`` costs for an order of ``subtotal``."""
    return method.price_for(subtotal)


@register.filter
def upto(count: int) -> range:
    """10|upto -> 1..10 (the quantities a buy box offers; the server checks the stock)."""
    return range(1, int(count) + 1)


@register.filter
def drop_waiting(drop) -> bool:
    """True while ``drop`` (a Drop, or nothing) has not been released yet."""
    return bool(drop) and not drop.is_open
