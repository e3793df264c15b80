"""Browser journeys of creators: a person posts as themself, tagging a shop's product, and a
shopper follows them and sees the post in Following."""

import re

import pytest
from playwright.sync_api import expect


@pytest.fixture
def tea_shop(add_product):
    """A tea shop with a product on sale, which the creator will tag."""
    from plaza.accounts.services import shop_create
    from plaza.accounts.tests.factories import UserFactory

    owner = UserFactory(email="owner@kumo.test", display_name="Ren")
    shop = shop_create(owner=owner, name="Kumo Tea", slug="kumo", currency="PHP", language="en")
    add_product(
        shop, "Ceremonial matcha", price=89_000, sku="KT-MATCHA", colors=("#86efac", "#14532d")
    )
    return shop


def test_a_creator_posts_a_tagged_photo_and_a_shopper_follows_them(
    page, tea_shop, login_as, photo_file, screenshot
):
    from plaza.accounts.tests.factories import UserFactory
    from plaza.social.models import Post

    creator = UserFactory(email="mia@plaza.test", display_name="Mia Santos")
    shopper = UserFactory(email="jo@plaza.test", display_name="Jo")

    # given: the creator sets a handle and a bio on their account page
    login_as(creator)
    page.goto("/me/")
    page.get_by_label("Handle").fill("Mia.Sips")
    page.get_by_label("Bio").fill("Tea rituals, slow mornings and the shops I love.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your profile was saved.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("View your profile"))).to_contain_text(
        "@mia.sips"
    )

    # when: they post a photo from /me/posts/new/, tapping it to tag the shop's matcha
    page.get_by_role("link", name="New post").click()
    expect(page).to_have_url(re.compile(r"/me/posts/new/$"))
    page.locator("input[type=file][name=media]").set_input_files(
        str(photo_file("morning.png", ("#fde68a", "#166534")))
    )
    frame = page.locator(".sc-stage-frame").first
    expect(frame).to_be_visible()
    frame.click(position={"x": 160, "y": 170})
    picker = page.locator("dialog.sc-picker, dialog[x-ref=picker], dialog.sc-sheet").first
    expect(picker).to_be_visible()
    picker.get_by_role("button", name=re.compile("Ceremonial matcha")).click()
    expect(page.locator(".sc-tag-list")).to_contain_text("Ceremonial matcha")
    page.get_by_role("textbox", name="Caption").fill("Slow morning, whisked by hand #matcha")
    page.get_by_role("button", name="Publish", exact=True).click()

    # then: their profile shows the post
    expect(page).to_have_url(re.compile(r"/@mia\.sips/$"))
    expect(page.get_by_text("The post is published.")).to_be_visible()
    post = Post.objects.get(author=creator)
    assert post.shop_id is None
    assert [t.product.title for t in post.tags.select_related("product")] == ["Ceremonial matcha"]

    # when: a shopper opens the creator's profile and follows them
    login_as(shopper)
    page.goto("/@mia.sips/")
    expect(page.get_by_role("heading", name="Mia Santos")).to_be_visible()
    expect(page.locator(".sc-profile-bio")).to_contain_text("Tea rituals")
    expect(page.locator(f"a[href='/p/{post.pk}/']")).to_be_visible()
    screenshot(page, "21-creator-profile")
    follow = page.locator(".sc-profile-actions button.sc-follow")
    expect(follow).to_have_attribute("aria-pressed", "false")
    follow.click()
    expect(page.locator(".sc-profile-actions button.sc-follow")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#sc-follower-count")).to_contain_text("1 follower")

    # then: the post is in their Following feed, with the creator and the shop's product
    page.goto("/feed/?tab=following")
    card = page.locator(f"#post-{post.pk}")
    expect(card).to_contain_text("Mia Santos")
    expect(card).to_contain_text("@mia.sips")
    expect(card.locator(".sc-strip")).to_contain_text("Ceremonial matcha")
    screenshot(page, "22-following-creator")
    card.get_by_role("link", name="Shop this product").first.click()
    sheet = page.locator("#sc-sheet-body")
    expect(sheet.get_by_role("heading", name="Ceremonial matcha")).to_be_visible()
