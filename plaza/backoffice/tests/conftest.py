"""Small helpers for the back-office tests; state is built through the services."""

import pytest

from plaza.accounts.models import StaffRole


@pytest.fixture
def agent(shop, owner):
    """A user who joined the shop as an agent, through an invitation."""
    from plaza.accounts.services import invitation_accept, staff_invite
    from plaza.accounts.tests.factories import UserFactory

    user = UserFactory(email="agent@kicks.test")
    _invitation, raw = staff_invite(
        shop=shop, invited_by=owner, email=user.email, role=StaffRole.AGENT
    )
    invitation_accept(token=raw, user=user)
    return user


@pytest.fixture
def owner_client(client, owner, shop):
    client.force_login(owner)
    return client
