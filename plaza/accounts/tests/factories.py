import factory

from plaza.accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@plaza.test")
    display_name = factory.Faker("first_name")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def staff_join(shop, owner, email: str, role: str = "agent", *, handle: str | None = None) -> User:
    """A new user invited by ``owner`` to ``shop`` with ``role``, who accepted: shop staff."""
    from plaza.accounts.services import invitation_accept, staff_invite

    user = UserFactory(email=email)
    if handle:
        user.handle = handle
        user.save(update_fields=["handle"])
    _invitation, raw = staff_invite(shop=shop, invited_by=owner, email=email, role=role)
    invitation_accept(token=raw, user=user)
    return user
