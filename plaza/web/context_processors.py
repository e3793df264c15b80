from django.conf import settings


def site(request):
    """Values every page needs: the languages to switch between, and the user's shops."""
    memberships = []
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from plaza.accounts.selectors import membership_list_for_user

        memberships = membership_list_for_user(user=user)
    return {
        "PLAZA_LANGUAGES": settings.LANGUAGES,
        "staff_memberships": memberships,
    }
