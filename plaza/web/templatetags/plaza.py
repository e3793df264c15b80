from django import template

from plaza.core.money import format_money, minor_to_decimal_str

register = template.Library()


@register.filter
def money(amount, currency):
    """{{ variant.price|money:shop.currency }} -> "₱1,250.00" in the active language."""
    if amount is None or amount == "":
        return ""
    return format_money(int(amount), str(currency))


@register.filter
def decimal_amount(amount, currency):
    """{{ variant.price|decimal_amount:shop.currency }} -> "1250.00", for form inputs."""
    if amount is None or amount == "":
        return ""
    return minor_to_decimal_str(int(amount), str(currency))
