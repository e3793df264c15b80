"""The demo: three shops in three currencies and languages, their catalogs, staff, a shopper
and a platform admin, all built through the apps' services as the application builds them."""

import itertools
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TextIO

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from plaza.accounts.models import Shop, User
from plaza.accounts.services import (
    address_create,
    membership_add,
    shop_create,
    shop_set_tax_rate,
)
from plaza.catalog.models import Category, Product, ProductImage, ProductStatus, Variant
from plaza.catalog.services import (
    OptionInput,
    VariantInput,
    category_create,
    product_create,
    product_image_add,
    product_set_translation,
    variant_combinations,
)
from plaza.checkout.services import shipping_method_create
from plaza.core.money import parse_amount
from plaza.demo.data import (
    COLOUR_OPTIONS,
    COLOURS,
    DEMO_PASSWORD,
    PLATFORM_USERS,
    SHOPPER_ADDRESS,
    SHOPS,
    SKU_CODES,
    ProductSpec,
    ShopSpec,
)
from plaza.demo.exceptions import DatabaseNotEmpty
from plaza.demo.images import latin_caption, product_picture
from plaza.inventory.services import drop_set, stock_bulk_set
from plaza.messaging.models import Channel
from plaza.messaging.services import (
    agent_set_available,
    canned_reply_save,
    conversation_open,
    customer_message_post,
    faq_entry_save,
    inbox_settings_update,
    post_keywords_set,
    web_contact_key,
)
from plaza.payments.selectors import test_card_list
from plaza.payments.services import card_tokenize, payment_method_save
from plaza.social.services import (
    TagInput,
    comment_create,
    post_create,
    post_like,
    post_publish,
    shop_follow,
)

IMAGE_SIZE = 800
MAX_PICTURES = 3

ROLE_CAN = {
    "owner": "the whole back office of {shop}",
    "manager": "catalog, stock, staff and API tokens of {shop}",
    "agent": "back office of {shop}, without changing the catalog or staff",
}


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    can: str


@dataclass
class DemoSummary:
    seeded: bool
    logins: list[DemoLogin]
    password: str = DEMO_PASSWORD
    shops: list[str] = field(default_factory=list)
    products: int = 0
    variants: int = 0
    images: int = 0
    thumbnails: int = 0
    seconds: float = 0.0


def demo_logins() -> list[DemoLogin]:
    """Every demo login with what it can do, in the order they are printed."""
    logins = [DemoLogin(u.email, u.role, u.can) for u in PLATFORM_USERS]
    for shop in SHOPS:
        for staff in shop.staff:
            logins.append(
                DemoLogin(
                    staff.email,
                    f"{staff.role}, {shop.name}",
                    ROLE_CAN[staff.role].format(shop=shop.name),
                )
            )
    return logins


def demo_logins_present() -> list[DemoLogin]:
    """The demo logins whose users exist in this database."""
    present = set(
        User.objects.filter(email__in=[login.email for login in demo_logins()]).values_list(
            "email", flat=True
        )
    )
    return [login for login in demo_logins() if login.email in present]


def demo_seed(
    *, stdout: TextIO | None = None, if_empty: bool = False, image_size: int = IMAGE_SIZE
) -> DemoSummary:
    """Fill an empty database with the demo, in one transaction.

    With shops already there, ``if_empty`` makes this a no-op that returns the demo logins
    present; without it, DatabaseNotEmpty is raised and nothing changes. Thumbnails are made
    by the image task once the transaction commits (in-process when Celery runs eagerly).
    """
    started = time.monotonic()
    with transaction.atomic():
        if Shop.objects.exists():
            if not if_empty:
                raise DatabaseNotEmpty()
            return DemoSummary(seeded=False, logins=demo_logins_present())
        users = _users_create()
        shops = {spec.slug: _shop_create(spec, users) for spec in SHOPS}
        categories = {
            spec.slug: {
                name: category_create(shop=shops[spec.slug], name=name) for name in spec.categories
            }
            for spec in SHOPS
        }
        # Newest first on every list: create the shops' products in turns, the first ones last,
        # so the home page mixes the three shops and opens with each shop's lead product.
        quantities: dict[str, dict[int, int]] = {spec.slug: {} for spec in SHOPS}
        rows = list(itertools.zip_longest(*(spec.products for spec in SHOPS)))
        for row in reversed(rows):
            for shop_spec, spec in zip(SHOPS, row, strict=True):
                if spec is None:
                    continue
                product = _product_create(
                    shop=shops[shop_spec.slug],
                    shop_spec=shop_spec,
                    spec=spec,
                    category=categories[shop_spec.slug][spec.category],
                    image_size=image_size,
                )
                quantities[shop_spec.slug].update(_stock_plan(spec, product))
        for spec in SHOPS:
            stock_bulk_set(shop=shops[spec.slug], quantities=quantities[spec.slug])
        _posts_create(shops=[shops[spec.slug] for spec in SHOPS], users=users)
        _drop_create(shops)
        _inbox_create(shops, users)
    _shopper_card_save(users)
    summary = DemoSummary(
        seeded=True,
        logins=demo_logins(),
        shops=[spec.name for spec in SHOPS],
        products=Product.objects.count(),
        variants=Variant.objects.count(),
        images=ProductImage.objects.count(),
        thumbnails=ProductImage.objects.exclude(thumbnail="").count(),
        seconds=time.monotonic() - started,
    )
    if stdout is not None:
        for spec in SHOPS:
            shop = shops[spec.slug]
            stdout.write(
                f"  {spec.name} ({spec.currency}, {spec.language}): "
                f"{Product.objects.filter(shop=shop).count()} products, "
                f"{Variant.objects.filter(shop=shop).count()} variants, "
                f"{ProductImage.objects.filter(product__shop=shop).count()} pictures\n"
            )
    return summary


# Hashtags each demo shop puts on its posts, in its own language.
POST_HASHTAGS = {
    "PHP": "#sneakers #manila #ootd",
    "EUR": "#beauté #soin #cosmétiquesnaturels",
    "JPY": "#コーヒー #珈琲 #抹茶",
}
POSTS_PER_SHOP = 5
DEMO_CARD = "4242 4242 4242 4242"
# The demo's drop: (shop, product, minutes after seeding until its release).
DEMO_DROP = ("kalye-kicks", "Amihan Trail Pro", 15)


def _posts_create(*, shops: list[Shop], users: dict[str, User]) -> None:
    """A few published posts per shop, each showing a product's photo with the product tagged
    (and a second product when there is one); the demo shopper follows two shops, likes
    some posts and leaves a comment, so the feed has something to rank."""
    shopper = users["shopper@plaza.demo"]
    for shop_index, shop in enumerate(shops):
        owner = shop.memberships.get(role="owner").user
        products = list(
            Product.objects.filter(shop=shop, status=ProductStatus.ACTIVE, images__isnull=False)
            .distinct()
            .order_by("-created_at", "-id")[: POSTS_PER_SHOP + 1]
        )
        for n, product in enumerate(products[:POSTS_PER_SHOP]):
            image = product.images.order_by("position", "id").first()
            with image.image.open("rb") as source:
                upload = SimpleUploadedFile(
                    f"{product.slug[:40]}.jpg", source.read(), content_type="image/jpeg"
                )
            tags = [TagInput(product_id=product.pk, x=0.5, y=0.55)]
            partner = products[n + 1] if n + 1 < len(products) else None
            if partner is not None:
                tags.append(TagInput(product_id=partner.pk, x=0.25, y=0.8))
            caption = f"{product.title}\n\n{POST_HASHTAGS.get(shop.currency, '')}"
            post = post_publish(
                post=post_create(
                    shop=shop, author=owner, caption=caption, media=[upload], tags=tags
                )
            )
            if (n + shop_index) % 2 == 0:
                post_like(post=post, user=shopper)
            if n == 0:
                comment_create(post=post, user=shopper, body="😍")
        if shop_index < 2:
            shop_follow(shop=shop, user=shopper)


def _users_create() -> dict[str, User]:
    """The demo users, all with the demo password (hashed once: hashing is slow on purpose)."""
    password = make_password(DEMO_PASSWORD)
    people = [(u.email, u.name, u.superuser) for u in PLATFORM_USERS]
    people += [(s.email, s.name, False) for shop in SHOPS for s in shop.staff]
    users = {}
    for email, name, superuser in people:
        user = User.objects.filter(email=email).first()
        if user is None:  # an existing account keeps its password
            user = User.objects.create(
                email=email,
                display_name=name,
                password=password,
                is_staff=superuser,
                is_superuser=superuser,
            )
            _email_mark_verified(user)
        users[email] = user
    shopper = users["shopper@plaza.demo"]
    if not shopper.addresses.exists():
        address_create(user=shopper, data=SHOPPER_ADDRESS)
    return users


def _email_mark_verified(user: User) -> None:
    """Let the demo users log in even where e-mail verification is mandatory."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": True}
    )


def _shop_create(spec: ShopSpec, users: dict[str, User]) -> Shop:
    owner, *others = spec.staff
    shop = shop_create(
        owner=users[owner.email],
        name=spec.name,
        slug=spec.slug,
        currency=spec.currency,
        language=spec.language,
        description=spec.description,
        contact_email=spec.contact_email,
    )
    for staff in others:
        membership_add(shop=shop, user=users[staff.email], role=staff.role)
    shop_set_tax_rate(shop=shop, tax_rate_bp=spec.tax_rate_bp)
    for name, price, free_above, days in spec.shipping:
        shipping_method_create(
            shop=shop,
            data={
                "name": name,
                "price": parse_amount(price, spec.currency),
                "free_above": parse_amount(free_above, spec.currency) if free_above else None,
                "delivery_days": days,
            },
        )
    return shop


def _drop_create(shops: dict[str, Shop]) -> None:
    """One product is a drop released shortly after the demo starts: its countdown shows on its
    page and its posts, then it sells one pair per customer."""
    shop_slug, title, minutes = DEMO_DROP
    product = Product.objects.get(shop=shops[shop_slug], title=title)
    drop_set(
        product=product,
        release_at=timezone.now() + timedelta(minutes=minutes),
        per_customer_limit=1,
        queue_size=50,
    )


# Each demo shop's inbox, in its own language: the bot's greeting, FAQ entries (question,
# keywords, answer) and canned replies (shortcode, text).
DEMO_INBOX = {
    "kalye-kicks": {
        "greeting": "Hi! I'm the Kalye Kicks bot. Ask me about sizes, stock, shipping or your "
        "order, or type WANT under any post.",
        "faq": [
            (
                "Can I return shoes?",
                "return, exchange, refund policy",
                "Returns and size exchanges are free within 30 days, unworn and in the box.",
            ),
            (
                "Do you have a store?",
                "store, shop location, branch",
                "Visit us at 27 Maginhawa St, Quezon City, 11:00 to 20:00 every day.",
            ),
        ],
        "canned": [
            ("thanks", "Salamat! Enjoy your new kicks."),
            ("sizes", "Our shoes fit true to size. Between two sizes? Take the bigger one."),
        ],
    },
    "atelier-camelia": {
        "greeting": "Bonjour ! Je suis l'assistant d'Atelier Camélia. Posez-moi vos questions "
        "sur nos soins, le stock ou votre commande.",
        "faq": [
            (
                "Vos produits sont-ils testés sur les animaux ?",
                "animaux, cruelty, vegan",
                "Jamais. Tous nos soins sont vegan et fabriqués à Grasse.",
            ),
        ],
        "canned": [("merci", "Merci pour votre commande, à très vite !")],
    },
    "hoshino-coffee": {
        "greeting": "こんにちは！星野珈琲のアシスタントです。商品、在庫、配送、ご注文についてお聞きください。",
        "faq": [
            (
                "豆は挽いてもらえますか？",
                "挽き, 粉",
                "はい。ご注文時にメッセージで挽き目をお知らせください。",
            )
        ],
        "canned": [("arigato", "ご注文ありがとうございました！")],
    },
}


def _inbox_create(shops: dict[str, Shop], users: dict[str, User]) -> None:
    """Each shop's inbox and bot set up, comment-to-DM on each shop's newest post (keyword
    WANT), and one conversation of the demo shopper with the bot, so the inbox is not empty."""
    from plaza.social.models import Post

    for slug, inbox in DEMO_INBOX.items():
        shop = shops[slug]
        inbox_settings_update(shop=shop, greeting=inbox["greeting"], handoff_keywords="")
        for question, keywords, answer in inbox["faq"]:
            faq_entry_save(shop=shop, question=question, keywords=keywords, answer=answer)
        for shortcode, text in inbox["canned"]:
            canned_reply_save(shop=shop, shortcode=shortcode, text=text)
        for membership in shop.memberships.select_related("user"):
            agent_set_available(shop=shop, user=membership.user, available=True)
        newest = Post.objects.filter(shop=shop).order_by("-created_at", "-pk").first()
        if newest is not None:
            post_keywords_set(post=newest, keywords="WANT, #buy")
    shopper = users["shopper@plaza.demo"]
    conversation = conversation_open(
        shop=shops["kalye-kicks"],
        channel=Channel.WEB,
        external_id=web_contact_key(user=shopper),
        customer=shopper,
        language="en",
    )
    for text in ("Hi!", "Do you have the Amihan Trail Pro in size 42?", "Where is my order?"):
        customer_message_post(conversation=conversation, text=text, rate_key="demo")


def _shopper_card_save(users: dict[str, User]) -> None:
    """The demo shopper's saved test card, so "Buy now" is two taps in the demo. Outside the
    seed's transaction: saving a card asks the payment provider about it."""
    shopper = users["shopper@plaza.demo"]
    if test_card_list() and not shopper.payment_methods.exists():
        token = card_tokenize(number=DEMO_CARD, exp_month=12, exp_year=2030, cvc="123")
        payment_method_save(user=shopper, token=token, provider="test")


def _product_create(
    *, shop: Shop, shop_spec: ShopSpec, spec: ProductSpec, category: Category, image_size: int
) -> Product:
    currency = shop_spec.currency
    options = [OptionInput(name, list(values)) for name, values in spec.options]
    variants = []
    for values in variant_combinations(options):
        price, compare_at = spec.price, spec.compare_at
        for value in values.values():
            price = spec.price_by_value.get(value, price)
            compare_at = spec.compare_at_by_value.get(value, compare_at)
        variants.append(
            VariantInput(
                sku="-".join([spec.sku, *(_sku_code(v) for v in values.values())]),
                price=parse_amount(price, currency),
                compare_at_price=parse_amount(compare_at, currency) if compare_at else None,
                option_values=values,
            )
        )
    product = product_create(
        shop=shop,
        title=spec.title,
        variants=variants,
        description=spec.description,
        brand=spec.brand,
        status=ProductStatus.DRAFT if spec.draft else ProductStatus.ACTIVE,
        category=category,
        options=options,
    )
    for language, (title, description) in spec.translations.items():
        product_set_translation(
            product=product, language=language, title=title, description=description
        )
    english = spec.title if shop_spec.language == "en" else spec.translations["en"][0]
    for n, (colours, caption, alt) in enumerate(_picture_plan(spec, shop_spec), start=1):
        jpeg = product_picture(
            title=english,
            caption=caption,
            colours=colours,
            seed=f"{spec.sku}-{n}",
            size=image_size,
        )
        upload = SimpleUploadedFile(f"{spec.sku.lower()}-{n}.jpg", jpeg, content_type="image/jpeg")
        product_image_add(product=product, upload=upload, alt=alt)
    return product


def _sku_code(value: str) -> str:
    if value in SKU_CODES:
        return SKU_CODES[value]
    return "".join(c for c in latin_caption(value).upper() if c.isalnum())[:6] or "X"


def _picture_plan(spec: ProductSpec, shop_spec: ShopSpec) -> list[tuple[tuple[str, str], str, str]]:
    """(gradient colours, caption, alt text) of each picture: one per colour or shade when the
    product has such an option, otherwise ``spec.images`` shades of the product's palette."""
    for name, values in spec.options:
        if name in COLOUR_OPTIONS:
            return [
                (
                    (COLOURS[value][0], COLOURS[value][1]),
                    COLOURS[value][2],
                    f"{spec.title}, {value}",
                )
                for value in values[:MAX_PICTURES]
            ]
    dark, light = spec.palette
    variations = [(dark, light), (light, dark), (dark, "#ffffff")]
    return [
        (
            variations[i],
            latin_caption(spec.brand) or latin_caption(shop_spec.name),
            f"{spec.title} ({i + 1})",
        )
        for i in range(min(spec.images, MAX_PICTURES))
    ]


def _stock_plan(spec: ProductSpec, product: Product) -> dict[int, int]:
    """Units per variant: mostly a few to a few dozen, some sold out, some with only 1 or 2
    left; ``spec.stock`` makes a whole product sold out or low. Always the same for a SKU."""
    rng = random.Random(spec.sku)
    quantities = {}
    for variant in product.variants.order_by("position"):
        if spec.stock == "sold_out":
            quantity = 0
        elif spec.stock == "low":
            quantity = rng.choice([1, 2, 2])
        else:
            roll = rng.random()
            quantity = (
                0 if roll < 0.1 else 2 if roll < 0.2 else 1 if roll < 0.25 else rng.randint(3, 36)
            )
        quantities[variant.pk] = quantity
    return quantities
