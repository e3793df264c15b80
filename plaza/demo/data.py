"""What the demo shops sell. Plain data: titles and descriptions are each shop's own text,
in its own language, with translations; prices are in major units of the shop's currency
("5495" PHP, "34.90" EUR, "1800" JPY) and turned into minor units when seeded."""

from dataclasses import dataclass, field

DEMO_PASSWORD = "plaza-demo"  # noqa: S105 - printed for everyone to use, on purpose

# Options whose values are colours: each value gets its own picture.
COLOUR_OPTIONS = frozenset({"Colour", "Teinte", "色"})

# Colour and shade values: two colours for the picture's gradient, and a Latin caption
# (the picture's font has no accents and no CJK characters).
COLOURS: dict[str, tuple[str, str, str]] = {
    # Kalye Kicks
    "Black/Volt": ("#111111", "#c8f526", "Black / Volt"),
    "Ocean Blue": ("#0b3d91", "#3fa7d6", "Ocean Blue"),
    "Moss Green": ("#2f4f1f", "#8a9a5b", "Moss Green"),
    "Slate Grey": ("#36454f", "#8d99a6", "Slate Grey"),
    "White/Red": ("#f5f5f5", "#d62828", "White / Red"),
    "Black": ("#0d0d0d", "#4a4a4a", "Black"),
    "Grey": ("#5f6368", "#c4c7c5", "Grey"),
    "Navy": ("#14213d", "#3a5683", "Navy"),
    "Pink": ("#f28fad", "#ffd6e0", "Pink"),
    "White": ("#d9d9d9", "#ffffff", "White"),
    "Cream": ("#e8dcc4", "#fffaf0", "Cream"),
    "Red": ("#9d0208", "#e85d04", "Red"),
    "Jeepney Red": ("#b3001b", "#ffb703", "Jeepney Red"),
    "Chrome Silver": ("#6c757d", "#e9ecef", "Chrome Silver"),
    "Sampaguita White": ("#f1f7ed", "#ffffff", "Sampaguita White"),
    "Charcoal": ("#222222", "#555b61", "Charcoal"),
    "Royal Blue": ("#1d3fbb", "#6f8cff", "Royal Blue"),
    "Black/Gold": ("#111111", "#d4a017", "Black / Gold"),
    "White/Blue": ("#f0f0f0", "#1e6fd9", "White / Blue"),
    "Orange": ("#e85d04", "#ffba08", "Orange"),
    "Black/Gum": ("#1a1a1a", "#b5835a", "Black / Gum"),
    "Navy/Gum": ("#1b263b", "#b5835a", "Navy / Gum"),
    "Tan": ("#a47148", "#e6c9a8", "Tan"),
    "Olive": ("#4b5320", "#a3a86b", "Olive"),
    # Atelier Camélia
    "Coquelicot": ("#c1121f", "#ff6b6b", "Poppy"),
    "Framboise": ("#8e1845", "#e0457b", "Raspberry"),
    "Nude rosé": ("#c08081", "#f2d0c9", "Rose Nude"),
    "Bordeaux": ("#4a0d1a", "#8c1c3a", "Burgundy"),
    "Porcelaine": ("#f3e3d3", "#fff8f0", "Porcelain"),
    "Beige clair": ("#e3c4a8", "#f7e7d8", "Light Beige"),
    "Beige doré": ("#c99a6b", "#ecd3b0", "Golden Beige"),
    "Caramel": ("#9c6b3f", "#d6a46b", "Caramel"),
    "Moka": ("#5b3a29", "#8f6148", "Mocha"),
    "Noir": ("#0d0d0d", "#3d3d3d", "Black"),
    "Brun": ("#4e342e", "#8d6e63", "Brown"),
    "Bronze & or": ("#8c5a2b", "#e0b84f", "Bronze & Gold"),
    "Prune & rose": ("#5e2750", "#e7a1c4", "Plum & Pink"),
    "Cerise": ("#b5172f", "#f25c78", "Cherry"),
    "Pêche": ("#f4a261", "#ffd8be", "Peach"),
    "Incolore": ("#e8e8e8", "#ffffff", "Clear"),
    # Hoshino Coffee
    "ステンレス": ("#8e9aa6", "#e3e7ea", "Stainless"),
    "マットブラック": ("#1c1c1c", "#4d4d4d", "Matte Black"),
}

# SKU codes for option values that are not plain Latin text.
SKU_CODES = {
    "豆のまま": "BEAN",
    "中挽き": "MED",
    "細挽き": "FINE",
    "ステンレス": "SS",
    "マットブラック": "MBK",
}


@dataclass(frozen=True)
class ProductSpec:
    sku: str  # prefix of the variants' SKUs
    title: str  # in the shop's language
    brand: str
    category: str
    description: str
    price: str  # major units
    options: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # A variant with one of these option values costs this instead of ``price``.
    price_by_value: dict[str, str] = field(default_factory=dict)
    compare_at: str | None = None
    compare_at_by_value: dict[str, str] = field(default_factory=dict)
    translations: dict[str, tuple[str, str]] = field(default_factory=dict)
    draft: bool = False
    stock: str = ""  # "", "sold_out" (nothing left) or "low" (one or two of each)
    palette: tuple[str, str] = ("#264653", "#2a9d8f")  # picture colours without a colour option
    images: int = 2  # pictures without a colour option


@dataclass(frozen=True)
class StaffSpec:
    email: str
    name: str
    role: str  # the first one of a shop is its owner


@dataclass(frozen=True)
class ShopSpec:
    name: str
    slug: str
    currency: str
    language: str
    description: str
    contact_email: str
    categories: tuple[str, ...]
    staff: tuple[StaffSpec, ...]
    products: tuple[ProductSpec, ...]
    # The tax included in the shop's prices (basis points), and its shipping methods as
    # (name, price, free from a subtotal of or None, delivery time), in major units.
    tax_rate_bp: int = 0
    shipping: tuple[tuple[str, str, str | None, str], ...] = ()


SIZES = ("40", "41", "42", "43", "44", "45")


def _sneaker(sku, title, brand, category, price, colours, description, translations, **extra):
    return ProductSpec(
        sku=sku,
        title=title,
        brand=brand,
        category=category,
        description=description,
        price=price,
        options=(("Size", SIZES), ("Colour", tuple(colours))),
        translations=translations,
        **extra,
    )


COFFEE_OPTIONS = (("内容量", ("200 g", "500 g")), ("挽き方", ("豆のまま", "中挽き", "細挽き")))


def _beans(sku, title, price_200, price_500, description, translations, **extra):
    category = extra.pop("category", "シングルオリジン")
    return ProductSpec(
        sku=sku,
        title=title,
        brand="星野珈琲",
        category=category,
        description=description,
        price=price_200,
        options=COFFEE_OPTIONS,
        price_by_value={"500 g": price_500},
        translations=translations,
        **extra,
    )


KALYE_KICKS = ShopSpec(
    name="Kalye Kicks",
    slug="kalye-kicks",
    currency="PHP",
    language="en",
    description=(
        "Sneakers for Manila's streets: running, court, hoops and skate pairs from local "
        "makers. Same-day delivery in Metro Manila, free returns within 30 days."
    ),
    contact_email="hello@kalye-kicks.plaza.demo",
    categories=("Running", "Lifestyle", "Basketball", "Skate"),
    tax_rate_bp=1_200,  # Philippine VAT
    shipping=(
        ("Standard, Metro Manila", "150", "5000", "2-4 days"),
        ("Same-day, Metro Manila", "350", None, "Today before 9 pm"),
    ),
    staff=(
        StaffSpec("kalye.owner@plaza.demo", "Mika Santos", "owner"),
        StaffSpec("kalye.manager@plaza.demo", "Paolo Reyes", "manager"),
        StaffSpec("kalye.agent@plaza.demo", "Joy Dizon", "agent"),
    ),
    products=(
        _sneaker(
            "HBG-RUN2",
            "Habagat Runner 2",
            "Habagat",
            "Running",
            "5495",
            ["Black/Volt", "Ocean Blue"],
            "A light daily trainer with a springy foam midsole and an engineered mesh upper "
            "that dries fast after a monsoon downpour. Reflective heel tab for early-morning "
            "runs along Roxas Boulevard.",
            {
                "tl": (
                    "Habagat Runner 2 – Sapatos Pantakbo",
                    "Magaan na sapatos pantakbo sa araw-araw, may bumubukal na foam sa suwelas "
                    "at mesh na pang-itaas na mabilis matuyo pagkatapos ng ulan ng habagat. May "
                    "reflective na tab sa sakong para sa pagtakbo sa madaling-araw.",
                ),
                "zh-hans": (
                    "Habagat Runner 2 轻量跑鞋",
                    "轻盈的日常训练跑鞋，弹性泡棉中底，工程网面鞋面在季风雨后也能很快晾干。"
                    "鞋跟反光条，适合清晨跑步。",
                ),
                "ja": (
                    "Habagat Runner 2 ランニングシューズ",
                    "弾むフォームのミッドソールと、雨のあとも乾きやすいメッシュアッパーの"
                    "軽量デイリートレーナー。早朝ランに便利なリフレクター付き。",
                ),
            },
            compare_at="6295",
        ),
        _sneaker(
            "AMH-TRL",
            "Amihan Trail Pro",
            "Amihan",
            "Running",
            "6990",
            ["Moss Green", "Slate Grey"],
            "A grippy lugged outsole, a rock plate and a gusseted tongue that keeps out grit. "
            "Made for the trails of Mt. Pulag and Masungi, comfortable enough for the city.",
            {
                "tl": (
                    "Amihan Trail Pro – Sapatos Pang-trail",
                    "Makapit na suwelas na may malalalim na ukit, rock plate, at dilang "
                    "pumipigil sa pagpasok ng buhangin at graba. Gawa para sa mga trail ng "
                    "Bundok Pulag at Masungi, pero komportable rin sa lungsod.",
                ),
                "zh-hans": (
                    "Amihan Trail Pro 越野跑鞋",
                    "抓地力强的大齿外底、防石板和全包鞋舌，挡住沙石。为山野小径而生，"
                    "在城市里穿也舒适。",
                ),
            },
        ),
        _sneaker(
            "BGW-TMP",
            "Bagwis Tempo Racer",
            "Bagwis",
            "Running",
            "7450",
            ["White/Red", "Black"],
            "A race-day shoe with a carbon-infused plate and a thin, breathable upper. Built "
            "for 10K and half-marathon personal bests.",
            {
                "tl": (
                    "Bagwis Tempo Racer – Pangkarera",
                    "Sapatos para sa araw ng karera, may plate na may halong carbon at manipis "
                    "at maaliwalas na pang-itaas. Gawa para sa personal best sa 10K at "
                    "half-marathon.",
                ),
                "af": (
                    "Bagwis Tempo Racer – Wedrenskoen",
                    "'n Wedrenskoen met 'n koolstofversterkte plaat en 'n dun, luggewende "
                    "bolaag. Gebou vir persoonlike rekords oor 10 km en die halfmarathon.",
                ),
            },
            stock="low",
        ),
        _sneaker(
            "TLA-DLY",
            "Tala Daily Trainer",
            "Tala",
            "Running",
            "3995",
            ["Grey", "Navy", "Pink"],
            "An easy-going everyday running shoe with a cushioned ride and a roomy toe box. "
            "Good value for your first 5K.",
            {
                "tl": (
                    "Tala Daily Trainer – Pang-araw-araw na Pantakbo",
                    "Komportableng sapatos pantakbo sa araw-araw, may malambot na sapin at "
                    "maluwag na harapan para sa mga daliri. Sulit para sa una mong 5K.",
                ),
                "zh-hans": (
                    "Tala 日常训练跑鞋",
                    "缓震舒适的日常跑鞋，鞋头宽敞。第一次跑 5 公里的超值之选。",
                ),
            },
        ),
        _sneaker(
            "KLY-CRT",
            "Kalye Court Low",
            "Kalye",
            "Lifestyle",
            "3250",
            ["White", "Black"],
            "A clean leather court sneaker with a stitched cupsole and a padded collar. Goes "
            "with jeans, shorts and the office's casual Friday.",
            {
                "tl": (
                    "Kalye Court Low – Sneakers na Katad",
                    "Simpleng sneakers na katad na may tahing cupsole at may sapin sa kuwelyo. "
                    "Bagay sa maong, shorts, at casual Friday sa opisina.",
                ),
                "fr": (
                    "Kalye Court Low – Baskets en cuir",
                    "Une basket de court épurée en cuir, semelle cousue et col rembourré. Se "
                    "porte avec un jean, un short ou pour le vendredi décontracté au bureau.",
                ),
                "zh-hans": (
                    "Kalye Court 低帮皮革板鞋",
                    "简洁的皮革板鞋，缝线杯底，鞋口带软垫。搭配牛仔裤、短裤或周五便装都合适。",
                ),
            },
        ),
        _sneaker(
            "KLY-CVS",
            "Kalye Canvas Hi",
            "Kalye",
            "Lifestyle",
            "2495",
            ["Cream", "Black", "Red"],
            "A high-top in heavy cotton canvas on a vulcanised rubber sole. Machine washable, "
            "and it only gets better with age.",
            {
                "tl": (
                    "Kalye Canvas Hi – High-top na Canvas",
                    "High-top na gawa sa makapal na cotton canvas na may vulcanised na goma sa "
                    "suwelas. Puwedeng labhan sa makina, at lalong gumaganda habang tumatagal.",
                ),
            },
            compare_at="2995",
        ),
        _sneaker(
            "TLA-J86",
            "Jeepney Retro 86",
            "Tala",
            "Lifestyle",
            "4650",
            ["Jeepney Red", "Chrome Silver"],
            "A chunky runner from the '80s archive, with chrome accents inspired by Manila's "
            "jeepneys. Suede and mesh upper on an EVA midsole.",
            {
                "tl": (
                    "Jeepney Retro 86",
                    "Retro na sapatos mula sa dekada '80, may makintab na detalyeng hango sa "
                    "mga dyip ng Maynila. Pang-itaas na suede at mesh, at EVA sa suwelas.",
                ),
                "zh-hans": (
                    "Jeepney Retro 86 复古跑鞋",
                    "来自八十年代档案的复古老爹鞋，镀铬细节灵感来自马尼拉的吉普尼。"
                    "麂皮与网面鞋面，EVA 中底。",
                ),
                "ja": (
                    "Jeepney Retro 86 レトロスニーカー",
                    "マニラのジープニーに着想を得たクロームのアクセント。スエードとメッシュの"
                    "アッパーに EVA ミッドソールを合わせた80年代風ランナー。",
                ),
            },
        ),
        _sneaker(
            "AMH-KNT",
            "Sampaguita Knit Slip-on",
            "Amihan",
            "Lifestyle",
            "2850",
            ["Sampaguita White", "Charcoal"],
            "A sock-like knit slip-on that packs flat for travel. Soft, breathable and easy to "
            "kick off at the door.",
            {
                "tl": (
                    "Sampaguita Knit Slip-on",
                    "Slip-on na niniting na parang medyas, madaling itupi para sa biyahe. "
                    "Malambot, maaliwalas, at madaling hubarin sa pinto.",
                ),
            },
        ),
        _sneaker(
            "BGW-HPE",
            "Bagwis Hoop Elite",
            "Bagwis",
            "Basketball",
            "8995",
            ["Royal Blue", "Black/Gold"],
            "A high-top basketball shoe with a responsive forefoot unit and a herringbone "
            "outsole that bites on indoor and outdoor courts.",
            {
                "tl": (
                    "Bagwis Hoop Elite – Sapatos Pambasketbol",
                    "High-top na sapatos pambasketbol na may bumubukal na unit sa harapan at "
                    "herringbone na suwelas na kumakapit sa loob at labas ng court.",
                ),
                "zh-hans": (
                    "Bagwis Hoop Elite 高帮篮球鞋",
                    "高帮篮球鞋，前掌回弹单元，人字纹外底在室内外球场都抓地。",
                ),
            },
            stock="sold_out",
        ),
        _sneaker(
            "TLA-RBD",
            "Tala Rebound Mid",
            "Tala",
            "Basketball",
            "5750",
            ["White/Blue", "Red"],
            "A mid-cut shoe for barangay pickup games: durable rubber, ankle support and "
            "plenty of cushioning.",
            {
                "tl": (
                    "Tala Rebound Mid – Pambasketbol",
                    "Mid-cut na sapatos para sa liga sa barangay: matibay na goma, suporta sa "
                    "bukung-bukong, at maraming sapin.",
                ),
                "af": (
                    "Tala Rebound Mid – Basketbalskoen",
                    "'n Middelhoë skoen vir straatbasketbal: duursame rubber, enkelsteun en "
                    "baie demping.",
                ),
            },
            compare_at="6500",
        ),
        _sneaker(
            "HBG-GRD3",
            "Habagat Guard 3",
            "Habagat",
            "Basketball",
            "6250",
            ["Black", "Orange"],
            "A low-cut guard shoe for quick cuts, with a lightweight upper and full-length "
            "cushioning.",
            {
                "tl": (
                    "Habagat Guard 3",
                    "Low-cut na sapatos para sa mabilis na galaw ng guard, may magaang "
                    "pang-itaas at sapin sa buong haba ng suwelas.",
                ),
            },
        ),
        _sneaker(
            "KLY-SKP",
            "Kalye Skate Pro",
            "Kalye",
            "Skate",
            "3650",
            ["Black/Gum", "Navy/Gum"],
            "A suede toe cap, double stitching and a gum sole with a grippy pattern. Made to "
            "survive ollies on the cobblestones of Intramuros.",
            {
                "tl": (
                    "Kalye Skate Pro – Sapatos Pang-skate",
                    "Suede sa dulo, dobleng tahi, at makapit na gum na suwelas. Gawa para "
                    "tumagal sa pag-ollie sa batuhan ng Intramuros.",
                ),
                "zh-hans": (
                    "Kalye Skate Pro 滑板鞋",
                    "麂皮鞋头、双线缝制和防滑生胶底，经得起在石板路上反复豚跳。",
                ),
            },
        ),
        _sneaker(
            "TLA-SDE",
            "Intramuros Suede Low",
            "Tala",
            "Skate",
            "4150",
            ["Tan", "Olive"],
            "A low suede skate shoe with a padded tongue. Coming soon.",
            {
                "tl": (
                    "Intramuros Suede Low",
                    "Mababang sapatos pang-skate na suede na may sapin sa dila. Malapit na.",
                ),
            },
            draft=True,
        ),
        _sneaker(
            "AMH-VLC",
            "Amihan Vulc Classic",
            "Amihan",
            "Skate",
            "2750",
            ["White", "Black"],
            "The classic vulcanised skate shoe: flexible, grippy and easy on the budget.",
            {
                "tl": (
                    "Amihan Vulc Classic",
                    "Ang klasikong vulcanised na sapatos pang-skate: nababaluktot, makapit, at "
                    "abot-kaya.",
                ),
                "af": (
                    "Amihan Vulc Classic",
                    "Die klassieke gevulkaniseerde skaatsskoen: buigsaam, met goeie greep en "
                    "maklik op die beursie.",
                ),
            },
        ),
    ),
)


ATELIER_CAMELIA = ShopSpec(
    name="Atelier Camélia",
    slug="atelier-camelia",
    currency="EUR",
    language="fr",
    description=(
        "Cosmétiques formulés et fabriqués à Paris : soins du visage, maquillage, corps et "
        "parfums. Livraison offerte dès 49 €."
    ),
    contact_email="bonjour@atelier-camelia.plaza.demo",
    categories=("Soin du visage", "Maquillage", "Corps & bain", "Parfums"),
    tax_rate_bp=2_000,  # French VAT
    shipping=(
        ("Colissimo", "5.90", "49", "2-3 jours"),
        ("Chronopost", "12.90", None, "24 h"),
    ),
    staff=(StaffSpec("camelia.owner@plaza.demo", "Camille Laurent", "owner"),),
    products=(
        ProductSpec(
            sku="CAM-SRM-C",
            title="Sérum éclat à la vitamine C",
            brand="Atelier Camélia",
            category="Soin du visage",
            description=(
                "Un sérum léger à 15 % de vitamine C stabilisée qui ravive l'éclat du teint "
                "et atténue les taches. Quelques gouttes le matin, avant votre crème."
            ),
            price="34.90",
            options=(("Contenance", ("30 ml", "50 ml")),),
            price_by_value={"50 ml": "49.90"},
            translations={
                "en": (
                    "Vitamin C Radiance Serum",
                    "A light serum with 15% stabilised vitamin C that brightens the complexion "
                    "and fades dark spots. A few drops in the morning, before your moisturiser.",
                ),
                "zh-hans": (
                    "维生素C焕亮精华",
                    "含 15% 稳定型维生素C 的轻盈精华，提亮肤色、淡化色斑。早晨在面霜前使用数滴。",
                ),
                "ja": (
                    "ビタミンC 美容液",
                    "安定型ビタミンCを15%配合した軽やかな美容液。くすみを払い、明るい肌へ。"
                    "朝、クリームの前に数滴なじませてください。",
                ),
            },
            palette=("#f77f00", "#fcbf49"),
        ),
        ProductSpec(
            sku="CAM-CRM-AL",
            title="Crème hydratante à l'aloe vera",
            brand="Sève de Provence",
            category="Soin du visage",
            description=(
                "Une crème fondante qui hydrate 24 heures grâce à l'aloe vera bio et à l'acide "
                "hyaluronique. Convient aux peaux sensibles."
            ),
            price="22.50",
            options=(("Contenance", ("30 ml", "50 ml")),),
            price_by_value={"50 ml": "32.00"},
            compare_at_by_value={"50 ml": "38.00"},
            translations={
                "en": (
                    "Aloe Vera Moisturising Cream",
                    "A melting cream that hydrates for 24 hours with organic aloe vera and "
                    "hyaluronic acid. Suitable for sensitive skin.",
                ),
                "af": (
                    "Aalwyn-voginroom",
                    "'n Smeltende room wat die vel 24 uur lank vogtig hou met organiese aalwyn "
                    "en hialuroonsuur. Geskik vir sensitiewe vel.",
                ),
            },
            palette=("#2d6a4f", "#b7e4c7"),
        ),
        ProductSpec(
            sku="CAM-HUI-DM",
            title="Huile démaquillante au camélia",
            brand="Atelier Camélia",
            category="Soin du visage",
            description=(
                "Une huile soyeuse qui dissout le maquillage, même waterproof, puis se "
                "transforme en lait au contact de l'eau. Sans parfum."
            ),
            price="19.00",
            options=(("Contenance", ("100 ml", "200 ml")),),
            price_by_value={"200 ml": "29.00"},
            translations={
                "en": (
                    "Camellia Cleansing Oil",
                    "A silky oil that melts away make-up, even waterproof mascara, then turns "
                    "milky with water. Fragrance-free.",
                ),
                "ja": (
                    "椿のクレンジングオイル",
                    "ウォータープルーフのメイクもするりと落とし、水に触れるとミルク状に変わる"
                    "シルキーなオイル。無香料。",
                ),
                "zh-hans": (
                    "山茶花卸妆油",
                    "丝滑卸妆油，连防水睫毛膏也能轻松卸除，遇水乳化。无香精。",
                ),
            },
            palette=("#9d0208", "#ffccd5"),
        ),
        ProductSpec(
            sku="CAM-MSQ-AV",
            title="Masque purifiant à l'argile verte",
            brand="Sève de Provence",
            category="Soin du visage",
            description=(
                "Un masque à l'argile verte et à la menthe poivrée qui resserre les pores et "
                "matifie la zone T en dix minutes."
            ),
            price="16.90",
            translations={
                "en": (
                    "Green Clay Purifying Mask",
                    "A green clay and peppermint mask that tightens pores and mattifies the "
                    "T-zone in ten minutes.",
                ),
            },
            stock="low",
            palette=("#52796f", "#cad2c5"),
            images=1,
        ),
        ProductSpec(
            sku="CAM-RAL",
            title="Rouge à lèvres mat",
            brand="Maison Orée",
            category="Maquillage",
            description=(
                "Un rouge à lèvres mat et confortable, enrichi en huile de camélia, qui tient "
                "jusqu'à huit heures sans dessécher les lèvres."
            ),
            price="19.90",
            options=(("Teinte", ("Coquelicot", "Framboise", "Nude rosé", "Bordeaux")),),
            translations={
                "en": (
                    "Matte Lipstick",
                    "A comfortable matte lipstick with camellia oil that lasts up to eight "
                    "hours without drying your lips.",
                ),
                "zh-hans": (
                    "哑光口红",
                    "添加山茶花油的舒适哑光口红，持妆长达八小时，不干唇。",
                ),
                "tl": (
                    "Matte na Lipstick",
                    "Komportableng matte na lipstick na may langis ng camellia, tumatagal nang "
                    "hanggang walong oras nang hindi nagpapatuyo ng labi.",
                ),
            },
        ),
        ProductSpec(
            sku="CAM-FDT",
            title="Fond de teint fluide lumière",
            brand="Maison Orée",
            category="Maquillage",
            description=(
                "Un fond de teint fluide à la couvrance modulable, au fini lumineux et naturel. "
                "SPF 15, non comédogène."
            ),
            price="29.90",
            options=(("Teinte", ("Porcelaine", "Beige clair", "Beige doré", "Caramel", "Moka")),),
            translations={
                "en": (
                    "Luminous Fluid Foundation",
                    "A buildable fluid foundation with a natural, luminous finish. SPF 15, "
                    "non-comedogenic.",
                ),
                "ja": (
                    "リキッドファンデーション ルミエール",
                    "重ねて調整できるカバー力と、自然なツヤ仕上げのリキッドファンデーション。"
                    "SPF15、ノンコメドジェニック。",
                ),
            },
        ),
        ProductSpec(
            sku="CAM-MSC",
            title="Mascara volume intense",
            brand="Maison Orée",
            category="Maquillage",
            description=(
                "Une brosse en fibres incurvée et une formule à la cire de riz pour des cils "
                "épais et recourbés, sans paquets."
            ),
            price="16.50",
            compare_at="19.90",
            options=(("Teinte", ("Noir", "Brun")),),
            translations={
                "en": (
                    "Intense Volume Mascara",
                    "A curved fibre brush and a rice-wax formula for thick, curled lashes "
                    "without clumps.",
                ),
                "tl": (
                    "Mascara na Pampakapal",
                    "Kurbadong brotsa at pormulang may rice wax para sa makapal at kulot na "
                    "pilikmata, nang walang buo-buo.",
                ),
            },
        ),
        ProductSpec(
            sku="CAM-FRD",
            title="Duo de fards à paupières",
            brand="Maison Orée",
            category="Maquillage",
            description=(
                "Deux teintes qui s'accordent, l'une satinée, l'autre irisée, pour un regard "
                "lumineux en deux gestes."
            ),
            price="14.90",
            options=(("Teinte", ("Bronze & or", "Prune & rose")),),
            translations={
                "en": (
                    "Eyeshadow Duo",
                    "Two matching shades, one satin and one shimmer, for bright eyes in two "
                    "strokes.",
                ),
            },
        ),
        ProductSpec(
            sku="CAM-BML",
            title="Baume à lèvres teinté",
            brand="Sève de Provence",
            category="Maquillage",
            description=(
                "Un baume nourrissant au beurre de karité qui laisse un voile de couleur "
                "transparent."
            ),
            price="9.90",
            options=(("Teinte", ("Cerise", "Pêche", "Incolore")),),
            translations={
                "en": (
                    "Tinted Lip Balm",
                    "A nourishing shea butter balm that leaves a sheer veil of colour.",
                ),
                "af": (
                    "Getinte lipbalsem",
                    "'n Voedende balsem met sheabotter wat 'n deurskynende tikkie kleur laat.",
                ),
                "zh-hans": (
                    "有色润唇膏",
                    "含乳木果油的滋润唇膏，留下透明自然的淡淡色彩。",
                ),
            },
        ),
        ProductSpec(
            sku="CAM-LCF",
            title="Lait corps à la fleur d'oranger",
            brand="Sève de Provence",
            category="Corps & bain",
            description=(
                "Un lait léger qui pénètre vite et laisse la peau douce, avec un sillage de "
                "fleur d'oranger de Grasse."
            ),
            price="18.00",
            options=(("Contenance", ("200 ml", "400 ml")),),
            price_by_value={"400 ml": "28.00"},
            translations={
                "en": (
                    "Orange Blossom Body Lotion",
                    "A light lotion that sinks in quickly and leaves skin soft, with a trail of "
                    "orange blossom from Grasse.",
                ),
            },
            palette=("#ee9b00", "#fefae0"),
        ),
        ProductSpec(
            sku="CAM-SAV",
            title="Savon surgras au lait d'ânesse",
            brand="Sève de Provence",
            category="Corps & bain",
            description=(
                "Un savon saponifié à froid, riche en lait d'ânesse frais, pour le visage et le "
                "corps des peaux sèches."
            ),
            price="7.50",
            translations={
                "en": (
                    "Donkey Milk Soap",
                    "A cold-process soap rich in fresh donkey milk, for the face and body of "
                    "dry skin.",
                ),
                "tl": (
                    "Sabong may Gatas ng Asno",
                    "Sabong ginawa sa malamig na proseso, mayaman sa sariwang gatas ng asno, "
                    "para sa mukha at katawan ng may tuyong balat.",
                ),
            },
            stock="sold_out",
            palette=("#adb5bd", "#f8f9fa"),
            images=1,
        ),
        ProductSpec(
            sku="CAM-GMG",
            title="Gommage corps sucre et monoï",
            brand="Atelier Camélia",
            category="Corps & bain",
            description=(
                "Un gommage au sucre de canne et au monoï de Tahiti qui lisse la peau et la "
                "laisse délicatement parfumée."
            ),
            price="21.00",
            options=(("Contenance", ("200 ml", "400 ml")),),
            price_by_value={"400 ml": "34.00"},
            translations={
                "en": (
                    "Sugar & Monoi Body Scrub",
                    "A cane sugar and Tahitian monoi scrub that smooths skin and leaves a "
                    "delicate scent.",
                ),
            },
            palette=("#bc6c25", "#fefae0"),
        ),
        ProductSpec(
            sku="CAM-EDP-FC",
            title="Eau de parfum Figue & Cèdre",
            brand="Atelier Camélia",
            category="Parfums",
            description=(
                "Un parfum boisé et lacté : figue verte, feuilles de figuier, cèdre de l'Atlas "
                "et une touche de musc blanc."
            ),
            price="48.00",
            options=(("Contenance", ("30 ml", "50 ml")),),
            price_by_value={"50 ml": "68.00"},
            compare_at_by_value={"50 ml": "79.00"},
            translations={
                "en": (
                    "Fig & Cedar Eau de Parfum",
                    "A woody, milky scent: green fig, fig leaves, Atlas cedar and a touch of "
                    "white musk.",
                ),
                "ja": (
                    "オードパルファム フィグ＆シダー",
                    "グリーンフィグ、イチジクの葉、アトラスシダーにホワイトムスクをひとさじ。"
                    "ウッディでミルキーな香り。",
                ),
                "zh-hans": (
                    "无花果与雪松淡香精",
                    "木质奶香调：青无花果、无花果叶、阿特拉斯雪松，点缀白麝香。",
                ),
            },
            palette=("#3a5a40", "#dad7cd"),
            images=3,
        ),
        ProductSpec(
            sku="CAM-BRM-NR",
            title="Brume parfumée Néroli",
            brand="Atelier Camélia",
            category="Parfums",
            description="Une brume fraîche au néroli et au petit-grain, pour le corps et les cheveux.",
            price="24.00",
            translations={
                "en": (
                    "Neroli Body Mist",
                    "A fresh mist of neroli and petitgrain for body and hair.",
                ),
            },
            draft=True,
            palette=("#f4a261", "#e9f5db"),
            images=1,
        ),
    ),
)


HOSHINO_COFFEE = ShopSpec(
    name="星野珈琲 Hoshino Coffee",
    slug="hoshino-coffee",
    currency="JPY",
    language="ja",
    description=(
        "京都・西陣の小さな自家焙煎コーヒー店。焙煎したてのコーヒー豆と宇治の抹茶を、"
        "毎週お届けします。"
    ),
    contact_email="info@hoshino-coffee.plaza.demo",
    categories=("シングルオリジン", "ブレンド", "抹茶・日本茶", "抽出器具"),
    tax_rate_bp=1_000,  # Japanese consumption tax
    shipping=(("ゆうパック", "800", "5000", "2-3日"),),
    staff=(StaffSpec("hoshino.owner@plaza.demo", "星野 愛子", "owner"),),
    products=(
        _beans(
            "HSN-ETH-YRG",
            "エチオピア イルガチェフェ ウォッシュト",
            "1800",
            "4200",
            "ジャスミンのような香りと、レモンティーを思わせる明るい酸味。浅煎りで、"
            "ハンドドリップの一杯におすすめのコーヒー豆です。",
            {
                "en": (
                    "Ethiopia Yirgacheffe Washed",
                    "A jasmine-like aroma and a bright acidity reminiscent of lemon tea. A light "
                    "roast, lovely as a hand-poured pour-over.",
                ),
                "zh-hans": (
                    "埃塞俄比亚 耶加雪菲 水洗 咖啡豆",
                    "茉莉花般的香气，带有柠檬红茶般的明亮酸质。浅度烘焙，最适合手冲咖啡。",
                ),
            },
            palette=("#6a994e", "#f2e8cf"),
        ),
        _beans(
            "HSN-KEN-NYR",
            "ケニア ニエリ AA",
            "2000",
            "4700",
            "カシスやグレープフルーツを思わせる力強い果実味と、しっかりとしたコク。中浅煎り。",
            {
                "en": (
                    "Kenya Nyeri AA",
                    "Bold fruit notes of blackcurrant and grapefruit with a full body. "
                    "Medium-light roast.",
                ),
                "zh-hans": (
                    "肯尼亚 涅里 AA 咖啡豆",
                    "黑加仑与西柚般浓郁的果香，醇厚饱满。中浅烘焙咖啡。",
                ),
            },
            palette=("#7b2cbf", "#f4978e"),
        ),
        _beans(
            "HSN-GTM-ANT",
            "グアテマラ アンティグア",
            "1600",
            "3800",
            "ミルクチョコレートとナッツの甘い余韻。バランスのよい中煎りで、毎日飲んでも飽きない"
            "コーヒーです。",
            {
                "en": (
                    "Guatemala Antigua",
                    "A sweet finish of milk chocolate and nuts. A balanced medium roast you "
                    "won't tire of drinking every day.",
                ),
                "zh-hans": (
                    "危地马拉 安提瓜 咖啡豆",
                    "牛奶巧克力和坚果的甜美余韵。平衡的中度烘焙，每天喝也不会腻的咖啡。",
                ),
            },
            palette=("#7f5539", "#ddb892"),
        ),
        _beans(
            "HSN-COL-DCF",
            "コロンビア ウイラ デカフェ",
            "1700",
            "4000",
            "マウンテンウォーター製法でカフェインを99.9%除去。キャラメルのような甘さで、"
            "夜にも安心して楽しめるコーヒーです。",
            {
                "en": (
                    "Colombia Huila Decaf",
                    "99.9% caffeine-free by the Mountain Water process, with a caramel "
                    "sweetness. A coffee to enjoy late in the evening.",
                ),
                "zh-hans": (
                    "哥伦比亚 薇拉 低因咖啡豆",
                    "采用山泉水处理法去除 99.9% 咖啡因，带焦糖般的甜感。夜晚也能安心享用的咖啡。",
                ),
            },
            palette=("#0077b6", "#caf0f8"),
        ),
        _beans(
            "HSN-BRA-CRD",
            "ブラジル セラード ナチュラル",
            "1400",
            "3300",
            "ピーナッツとココアの香ばしさと、やさしい苦味。アイスコーヒーやカフェオレにも。",
            {
                "en": (
                    "Brazil Cerrado Natural",
                    "Roasted peanut and cocoa notes with a gentle bitterness. Great as iced "
                    "coffee or café au lait.",
                ),
                "zh-hans": (
                    "巴西 喜拉多 日晒 咖啡豆",
                    "花生与可可的焦香，温和的苦味。也适合做冰咖啡或欧蕾咖啡。",
                ),
            },
            compare_at_by_value={"500 g": "3800"},
            palette=("#386641", "#f6bd60"),
        ),
        _beans(
            "HSN-IDN-MND",
            "インドネシア マンデリン G1",
            "1700",
            "4000",
            "ハーブやスパイスを感じる深いコクと、重厚な苦味。深煎り好きの方に。",
            {
                "en": (
                    "Indonesia Mandheling G1",
                    "A deep body with herbal and spicy notes and a heavy bitterness. For lovers "
                    "of dark roasts.",
                ),
                "zh-hans": (
                    "印度尼西亚 曼特宁 G1 咖啡豆",
                    "带有草本与香料气息的深沉醇厚口感，苦味浓重。深度烘焙爱好者之选。",
                ),
            },
            stock="low",
            palette=("#432818", "#99582a"),
        ),
        _beans(
            "HSN-BLD-HSN",
            "星野ブレンド コーヒー豆 中深煎り",
            "1500",
            "3500",
            "ブラジルとコロンビアをベースに、エチオピアで華やかさを添えた当店の定番ブレンド。"
            "チョコレートのような甘さと心地よい苦味。",
            {
                "en": (
                    "Hoshino House Blend, Medium-Dark",
                    "Our signature blend: Brazil and Colombia at its base, with Ethiopia for a "
                    "floral lift. Chocolatey sweetness and a pleasant bitterness.",
                ),
                "zh-hans": (
                    "星野招牌拼配咖啡豆 中深烘焙",
                    "以巴西和哥伦比亚为基底，加入埃塞俄比亚增添花香的招牌拼配咖啡。"
                    "巧克力般的甜感与舒适的苦味。",
                ),
                "fr": (
                    "Mélange maison Hoshino, torréfaction moyenne-foncée",
                    "Notre mélange signature : le Brésil et la Colombie pour la base, l'Éthiopie "
                    "pour une note florale. Douceur chocolatée et amertume agréable.",
                ),
            },
            category="ブレンド",
            palette=("#1d3557", "#e9c46a"),
            images=3,
        ),
        _beans(
            "HSN-BLD-MRN",
            "朝のコーヒー ライトブレンド",
            "1400",
            "3300",
            "すっきり軽やかな浅煎りブレンド。朝食のトーストや和菓子と一緒にどうぞ。",
            {
                "en": (
                    "Morning Coffee Light Blend",
                    "A clean, light-roasted blend. Pair it with breakfast toast or Japanese "
                    "sweets.",
                ),
                "zh-hans": (
                    "早晨咖啡 浅烘焙拼配",
                    "清爽轻盈的浅烘焙拼配咖啡。适合搭配早餐吐司或日式和果子。",
                ),
            },
            category="ブレンド",
            palette=("#ffb703", "#fff3b0"),
        ),
        _beans(
            "HSN-BLD-ESP",
            "深煎り エスプレッソブレンド",
            "1600",
            "3800",
            "濃厚なクレマと黒糖のような甘さ。エスプレッソやカフェラテに最適な深煎りコーヒーです。",
            {
                "en": (
                    "Dark Roast Espresso Blend",
                    "A thick crema and a brown-sugar sweetness. A dark roast made for espresso "
                    "and caffè latte.",
                ),
                "zh-hans": (
                    "深烘焙意式浓缩拼配咖啡豆",
                    "浓厚的油脂与黑糖般的甜感。最适合意式浓缩和拿铁的深烘焙咖啡。",
                ),
            },
            category="ブレンド",
            stock="sold_out",
            palette=("#231942", "#5e548e"),
        ),
        ProductSpec(
            sku="HSN-MCH-UJI",
            title="宇治抹茶 薄茶用",
            brand="星野珈琲",
            category="抹茶・日本茶",
            description=(
                "京都・宇治の石臼挽き抹茶。まろやかな旨みと鮮やかな緑色で、お点前にも抹茶ラテにも。"
            ),
            price="1800",
            options=(("内容量", ("30 g", "100 g")),),
            price_by_value={"100 g": "5200"},
            translations={
                "en": (
                    "Uji Matcha for Usucha",
                    "Stone-ground matcha from Uji, Kyoto. Mellow umami and a vivid green, for "
                    "the tea ceremony or a matcha latte.",
                ),
                "zh-hans": (
                    "宇治抹茶（薄茶用）",
                    "京都宇治石磨抹茶。口感醇和、鲜绿亮丽，适合茶道点茶，也适合做抹茶拿铁。",
                ),
                "fr": (
                    "Matcha d'Uji pour usucha",
                    "Matcha moulu à la meule de pierre à Uji, près de Kyoto. Umami doux et vert "
                    "éclatant, pour la cérémonie du thé ou un matcha latte.",
                ),
            },
            palette=("#386641", "#a7c957"),
        ),
        ProductSpec(
            sku="HSN-MCH-LTE",
            title="抹茶ラテ パウダー 200 g",
            brand="星野珈琲",
            category="抹茶・日本茶",
            description="宇治抹茶とてんさい糖だけのシンプルな抹茶ラテの素。温かい牛乳に溶かすだけ。",
            price="1200",
            translations={
                "en": (
                    "Matcha Latte Powder, 200 g",
                    "Just Uji matcha and beet sugar. Stir into warm milk and it's ready.",
                ),
                "zh-hans": (
                    "抹茶拿铁粉 200 克",
                    "只用宇治抹茶和甜菜糖，简单纯粹。倒入温牛奶搅匀即可。",
                ),
            },
            palette=("#6a994e", "#f2e8cf"),
            images=1,
        ),
        ProductSpec(
            sku="HSN-HJC-TB",
            title="ほうじ茶 ティーバッグ 20包",
            brand="星野珈琲",
            category="抹茶・日本茶",
            description=(
                "香ばしい焙煎の香りが広がるほうじ茶。カフェインが少なく、食後にもぴったり。"
            ),
            price="900",
            translations={
                "en": (
                    "Hojicha Tea Bags, 20 Pack",
                    "Roasted green tea with a warm, toasty aroma. Low in caffeine, perfect "
                    "after a meal.",
                ),
                "zh-hans": (
                    "焙茶茶包 20 包",
                    "焙火香气四溢的日本焙茶。咖啡因含量低，饭后饮用正合适。",
                ),
            },
            palette=("#7f4f24", "#e6ccb2"),
            images=1,
        ),
        ProductSpec(
            sku="HSN-KTL-09",
            title="ドリップケトル 0.9L",
            brand="星野珈琲",
            category="抽出器具",
            description=(
                "細く安定したお湯を注げるグースネック。IH・ガス火に対応したハンドドリップ用の"
                "ケトルです。"
            ),
            price="6800",
            compare_at="7800",
            options=(("色", ("ステンレス", "マットブラック")),),
            translations={
                "en": (
                    "Pour-over Kettle 0.9 L",
                    "A gooseneck spout for a thin, steady pour. A hand-drip kettle for "
                    "induction and gas.",
                ),
                "zh-hans": (
                    "手冲咖啡细口壶 0.9L",
                    "鹅颈壶嘴，水流细而稳定。适用于电磁炉和燃气灶的手冲咖啡壶。",
                ),
            },
        ),
        ProductSpec(
            sku="HSN-DRP-ART",
            title="有田焼 コーヒードリッパー",
            brand="星野珈琲",
            category="抽出器具",
            description="佐賀・有田の窯元で一つずつ焼き上げた磁器のドリッパー。1〜4杯用。",
            price="3300",
            translations={
                "en": (
                    "Arita Porcelain Coffee Dripper",
                    "A porcelain dripper fired one by one at a kiln in Arita, Saga. Makes 1 to "
                    "4 cups.",
                ),
                "zh-hans": (
                    "有田烧陶瓷咖啡滤杯",
                    "佐贺有田窑逐一烧制的瓷器滤杯。适合 1 至 4 杯。",
                ),
            },
            draft=True,
            palette=("#023e8a", "#ade8f4"),
            images=1,
        ),
    ),
)

SHOPS = (KALYE_KICKS, ATELIER_CAMELIA, HOSHINO_COFFEE)


@dataclass(frozen=True)
class PlatformUserSpec:
    email: str
    name: str
    role: str
    can: str
    superuser: bool = False


PLATFORM_USERS = (
    PlatformUserSpec(
        "admin@plaza.demo", "Plaza Admin", "platform admin", "Django admin at /admin/", True
    ),
    PlatformUserSpec(
        "shopper@plaza.demo",
        "Sam Cruz",
        "shopper",
        "follow, like, comment; a saved address and test card: Buy now in two taps",
    ),
)

SHOPPER_ADDRESS = {
    "full_name": "Sam Cruz",
    "line1": "1203 Taft Avenue, Unit 5B",
    "line2": "Ermita",
    "city": "Manila",
    "region": "Metro Manila",
    "postal_code": "1000",
    "country": "PH",
    "phone": "+63 917 555 0142",
}
