from plaza.checkout.views import SESSION_CART_COUNT


def cart(request):
    """The cart badge of the top bar. Kept in the session by the cart's pages, so that no page
    pays a query for it."""
    session = getattr(request, "session", None)
    return {"cart_count": session.get(SESSION_CART_COUNT, 0) if session is not None else 0}
