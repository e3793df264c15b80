"""Browser journeys of the shoppable feed: a visitor discovers a product in a post."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from e2e.conftest import photo_png


@pytest.fixture
def coffee_post(add_product):
    """A coffee shop with a published post that tags one of its products."""
    from plaza.accounts.services import shop_create
    from plaza.accounts.tests.factories import UserFactory
    from plaza.social.services import TagInput, post_create, post_publish

    owner = UserFactory(email="owner@hoshino.test", display_name="Aiko")
    shop = shop_create(
        owner=owner, name="Hoshino Coffee", slug="hoshino", currency="JPY", language="en"
    )
    latte = add_product(shop, "Iced matcha latte", price=650, sku="HC-MATCHA", stock=4)
    photo = SimpleUploadedFile(
        "matcha.png", photo_png(("#86efac", "#14532d")), content_type="image/png"
    )
    post = post_create(
        shop=shop,
        author=owner,
        caption="New on the menu #抹茶 #matcha",
        media=[photo],
        tags=[TagInput(product_id=latte.pk, x=0.5, y=0.5)],
    )
    return post_publish(post=post)


def test_visitor_opens_the_feed_and_taps_a_tag_to_see_the_product(page, coffee_post, screenshot):
    # given: a visitor on the home page
    page.goto("/")
    # when: they open the feed from the top bar and tap the tag on the photo
    page.get_by_role("link", name="Feed", exact=True).click()
    card = page.locator(f"#post-{coffee_post.pk}")
    expect(card).to_contain_text("Hoshino Coffee")
    expect(card).to_contain_text("#抹茶")
    screenshot(page, "12-feed")
    card.get_by_role("link", name="Shop this product").first.click()
    # then: the product opens in a sheet over the feed, with its price
    sheet = page.locator("#sc-sheet-body")
    expect(sheet.get_by_role("heading", name="Iced matcha latte")).to_be_visible()
    expect(sheet).to_contain_text("¥650")
    screenshot(page, "13-feed-product-sheet")


def test_a_shopper_likes_a_post_and_the_count_goes_up(page, coffee_post, login_as):
    # given
    from plaza.accounts.tests.factories import UserFactory

    login_as(UserFactory(email="mika@plaza.test", display_name="Mika"))
    page.goto("/feed/?tab=for-you")
    card = page.locator(f"#post-{coffee_post.pk}")
    like = card.locator("button.sc-like")
    expect(like).to_have_attribute("aria-pressed", "false")
    # when
    like.click()
    # then
    expect(card.locator("button.sc-like")).to_have_attribute("aria-pressed", "true")
    expect(card.locator("button.sc-like .sc-count")).to_have_text("1")
    coffee_post.refresh_from_db()
    assert coffee_post.like_count == 1
