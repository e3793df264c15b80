import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from plaza.accounts.models import Membership, Shop, StaffRole, User
from plaza.catalog.models import Product, ProductImage, ProductStatus, ProductTranslation, Variant
from plaza.catalog.selectors import product_list_public
from plaza.demo.exceptions import DatabaseNotEmpty
from plaza.demo.services import demo_seed
from plaza.inventory.selectors import stock_available_for_variants

pytestmark = pytest.mark.django_db

# Small pictures keep the test fast; the drawing and the thumbnail task run all the same.
PICTURE_SIZE = 48


@pytest.fixture
def seeded(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        summary = demo_seed(image_size=PICTURE_SIZE)
    return summary


def test_demo_seed_builds_three_shops_with_their_staff_and_the_printed_logins(seeded):
    # then
    shops = {shop.slug: (shop.currency, shop.language) for shop in Shop.objects.all()}
    assert shops == {
        "kalye-kicks": ("PHP", "en"),
        "atelier-camelia": ("EUR", "fr"),
        "hoshino-coffee": ("JPY", "ja"),
    }
    assert seeded.seeded is True
    assert seeded.products == Product.objects.count() >= 40
    assert Product.objects.filter(status=ProductStatus.DRAFT).exists()
    for shop in Shop.objects.all():
        assert shop.categories.count() >= 3
        assert shop.products.count() >= 12
    emails = {login.email for login in seeded.logins}
    assert set(User.objects.values_list("email", flat=True)) == emails
    admin = User.objects.get(email="admin@plaza.demo")
    assert admin.is_superuser and admin.check_password(seeded.password)
    assert User.objects.get(email="shopper@plaza.demo").addresses.count() == 1
    roles = dict(
        Membership.objects.filter(shop__slug="kalye-kicks").values_list("user__email", "role")
    )
    assert roles == {
        "kalye.owner@plaza.demo": StaffRole.OWNER,
        "kalye.manager@plaza.demo": StaffRole.MANAGER,
        "kalye.agent@plaza.demo": StaffRole.AGENT,
    }
    assert Membership.objects.filter(role=StaffRole.OWNER).count() == 3


def test_demo_products_have_pictures_with_thumbnails_variants_prices_and_stock(seeded):
    # then
    active = Product.objects.filter(status=ProductStatus.ACTIVE)
    assert active.count() >= 36
    assert not active.filter(images__isnull=True).exists()
    images = ProductImage.objects.filter(product__in=active)
    assert images.count() >= active.count()
    assert not images.filter(thumbnail="").exists()
    image = images.first()
    assert (image.width, image.height) == (PICTURE_SIZE, PICTURE_SIZE)
    assert image.image.storage.exists(image.thumbnail.name)

    runner = Product.objects.get(shop__slug="kalye-kicks", title="Habagat Runner 2")
    assert [o.name for o in runner.options.all()] == ["Size", "Colour"]
    assert runner.variants.count() == 6 * 2
    assert runner.price_min == 549500  # ₱5,495.00
    assert runner.variants.filter(compare_at_price=629500).count() == 12
    beans = Product.objects.get(shop__slug="hoshino-coffee", translations__title="Kenya Nyeri AA")
    assert sorted({v.price for v in beans.variants.all()}) == [2000, 4700]  # yen, no decimals
    serum = Product.objects.get(shop__slug="atelier-camelia", title="Sérum éclat à la vitamine C")
    assert {v.title: v.price for v in serum.variants.all()} == {"30 ml": 3490, "50 ml": 4990}

    available = stock_available_for_variants(
        variant_ids=Variant.objects.values_list("pk", flat=True)
    )
    assert sum(1 for units in available.values() if units == 0) >= 5
    assert sum(1 for units in available.values() if units == 2) >= 5
    assert sum(1 for units in available.values() if units > 2) > len(available) / 2


def test_demo_products_are_translated_and_found_by_two_cjk_characters(seeded):
    # then
    languages = set(ProductTranslation.objects.values_list("language", flat=True))
    assert languages == {"en", "fr", "tl", "zh-hans", "ja", "af"}
    assert Product.objects.filter(translations__isnull=False).distinct().count() >= 40
    for query in ("咖啡", "抹茶", "コーヒー"):
        found = list(product_list_public(q=query))
        assert found, query
        assert {p.shop.slug for p in found} == {"hoshino-coffee"}, query
    assert {p.shop.slug for p in product_list_public(q="跑鞋")} == {"kalye-kicks"}


def test_a_second_seed_with_if_empty_changes_nothing_and_prints_the_logins_again(seeded):
    # given
    counts = (Shop.objects.count(), Product.objects.count(), ProductImage.objects.count())
    # when
    again = demo_seed(if_empty=True, image_size=PICTURE_SIZE)
    # then
    assert again.seeded is False
    assert [login.email for login in again.logins] == [login.email for login in seeded.logins]
    assert (Shop.objects.count(), Product.objects.count(), ProductImage.objects.count()) == counts

    # when the command runs again, as a second `make run` does
    stdout = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=stdout)
    # then
    out = stdout.getvalue()
    assert "already there" in out
    assert "kalye.manager@plaza.demo" in out and "plaza-demo" in out
    with pytest.raises(CommandError, match="already has shops"):
        call_command("seed_demo", stdout=io.StringIO())


def test_demo_seed_refuses_a_database_with_shops_and_changes_nothing(shop):
    # when / then
    with pytest.raises(DatabaseNotEmpty, match="already has shops"):
        demo_seed(image_size=PICTURE_SIZE)
    assert Shop.objects.count() == 1
    assert not User.objects.filter(email__endswith="@plaza.demo").exists()


def test_seed_demo_command_says_so_when_the_shops_are_not_the_demo(shop):
    # when
    stdout = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=stdout)
    # then
    out = stdout.getvalue()
    assert "no demo data was added" in out
    assert "plaza-demo" not in out


def test_demo_shops_have_published_posts_with_tagged_products_for_the_feed(seeded):
    # given: the seeded demo
    from plaza.demo.data import SHOPS
    from plaza.social.models import Follow, Post, ProductTag

    shopper = User.objects.get(email="shopper@plaza.demo")
    # then: every shop posts, every post tags a product of its own shop, the shopper engages
    posts = Post.objects.select_related("shop")
    assert posts.count() == 15
    assert {post.shop.slug for post in posts} == {spec.slug for spec in SHOPS}
    assert all(post.is_visible() for post in posts)
    for tag in ProductTag.objects.select_related("post", "product"):
        assert tag.product.shop_id == tag.post.shop_id
    assert Follow.objects.filter(user=shopper).count() == 2
    assert posts.filter(like_count__gt=0).exists()


def test_demo_shopper_can_buy_now_in_two_taps_with_a_saved_card_and_address(seeded):
    """The demo shopper has a default address and a default test card; every shop ships and
    states its included tax."""
    from plaza.accounts.models import Shop, User

    shopper = User.objects.get(email="shopper@plaza.demo")
    assert shopper.addresses.filter(is_default=True).count() == 1
    card = shopper.payment_methods.get(is_default=True)
    assert (card.provider, card.last4) == ("test", "4242")
    rates = dict(Shop.objects.values_list("currency", "tax_rate_bp"))
    assert rates == {"PHP": 1_200, "EUR": 2_000, "JPY": 1_000}
    for shop in Shop.objects.all():
        assert shop.shipping_methods.filter(is_active=True).exists(), shop.name


def test_demo_has_a_drop_that_opens_shortly_after_it_starts(seeded):
    from plaza.inventory.models import Drop

    drop = Drop.objects.select_related("product").get()
    assert drop.product.title == "Amihan Trail Pro"
    assert not drop.is_open
    assert (drop.per_customer_limit, drop.queue_size) == (1, 50)


def test_demo_shops_have_a_bot_an_faq_comment_keywords_and_a_conversation(seeded):
    from plaza.messaging.models import Conversation, FaqEntry, PostKeyword, SenderKind

    # every shop has FAQ entries and comment-to-DM on its newest post
    assert FaqEntry.objects.values("shop").distinct().count() == 3
    assert PostKeyword.objects.count() == 3
    # the demo shopper asked the Kalye Kicks bot about a size, and it answered from the catalog
    conversation = Conversation.objects.get(shop__slug="kalye-kicks")
    bot = conversation.messages.filter(sender_kind=SenderKind.BOT).values_list("text", flat=True)
    assert any("42" in text for text in bot)
