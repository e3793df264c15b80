"""The feed's cards (plaza.social.cards): the same links ``reverse`` gives, no query."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import translation

from plaza.accounts.services import user_handle_set
from plaza.catalog.services import product_image_add, product_set_translation
from plaza.catalog.tests.factories import image_upload, make_product
from plaza.social import selectors, services
from plaza.social.cards import post_cards
from plaza.social.services import TagInput
from plaza.social.tests.factories import make_post

pytestmark = pytest.mark.django_db


def test_card_links_are_the_urls_reverse_gives_for_ids_slugs_handles_and_hashtags(
    shop, shopper, users
):
    # given: a shop's post with two photos, a product tagged on each, non-Latin hashtags; and a
    # creator's post
    tea = make_product(shop, title="Tea", stock=2)
    cup = make_product(shop, title="Cup", stock=2)
    product_image_add(product=tea, upload=image_upload(size=(8, 8)))
    shop_post = make_post(
        shop,
        caption="New #抹茶 and #café, 100% <b>good</b>",
        images=2,
        tags=[TagInput(product_id=tea.pk, x=0.5, y=0.5), TagInput(cup.pk, 0.2, 0.3, media_index=1)],
    )
    creator = user_handle_set(user=users(1)[0], handle="mia_2")
    creator_post = make_post(None, author=creator, caption="Mine", tags=[tea])
    services.post_like(post=shop_post, user=shopper)

    # when
    page = selectors.post_feed_for_you(viewer=shopper)
    cards = {card.post.pk: card for card in post_cards(posts=page.posts)}

    # then
    card = cards[shop_post.pk]
    tag_tea, tag_cup = shop_post.tags.order_by("media_index")
    assert card.poster_url == reverse("social:shop-post-list", args=[shop.slug])
    assert card.follow_url == reverse("social:shop-follow", args=[shop.slug])
    assert card.detail_url == reverse("social:post-detail", args=[shop_post.pk])
    assert card.like_url == reverse("social:post-unlike", args=[shop_post.pk])
    assert card.save_url == reverse("social:post-save", args=[shop_post.pk])
    assert card.share_url == selectors.post_share_url(post=shop_post)
    assert [[dot.url for dot in media.dots] for media in card.media] == [
        [reverse("social:product-tag-detail", args=[shop_post.pk, tag_tea.pk])],
        [reverse("social:product-tag-detail", args=[shop_post.pk, tag_cup.pk])],
    ]
    assert [(p.product.title, p.thumb_url != "") for p in card.products] == [
        ("Tea", True),
        ("Cup", False),
    ]
    for tag in ("抹茶", "café"):
        assert f'href="{reverse("social:hashtag-detail", args=[tag])}"' in card.caption_html
    assert "&lt;b&gt;good&lt;/b&gt;" in card.caption_html
    mine = cards[creator_post.pk]
    assert mine.poster_url == reverse("social:user-profile", args=["mia_2"])
    assert mine.follow_url == reverse("social:user-follow", args=["mia_2"])


def test_cards_show_product_titles_and_prices_in_the_active_language(shop):
    # given
    tea = make_product(shop, title="Tea", stock=2)
    product_set_translation(product=tea, language="fr", title="Thé")
    make_post(shop, caption="Hello", tags=[tea])
    page = selectors.post_feed_for_you(viewer=AnonymousUser())

    # when
    with translation.override("fr"):
        (card,) = post_cards(posts=page.posts)

    # then
    (item,) = card.products
    assert (item.text.title, item.text.language) == ("Thé", "fr")
    assert "PHP" in item.price or "₱" in item.price
    assert card.follow_url == reverse("social:shop-follow", args=[shop.slug])


def test_cards_run_no_query(shop, shopper, django_assert_num_queries):
    # given
    tea = make_product(shop, title="Tea", stock=2)
    product_image_add(product=tea, upload=image_upload(size=(8, 8)))
    for n in range(5):
        make_post(shop, caption=f"Post {n} #tea", tags=[tea])
    page = selectors.post_feed_for_you(viewer=shopper)

    # when / then
    with django_assert_num_queries(0):
        cards = post_cards(posts=page.posts)
    assert len(cards) == 5
