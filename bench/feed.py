"""Feed benchmark (`make bench-feed`): requests per second and latency of the "For you" feed
page showing 20 posts, against a trivial view (/livez) on the same server in the same run.

It builds its own Plaza in a temporary folder (the demo data plus posts up to 20), serves it
with two uvicorn processes on two loopback ports, and drives a bounded number of requests over
keep-alive connections, half of them to each process, as a load balancer in front of them would.
With DATABASE_URL set it uses that PostgreSQL database (its tables are created by migrate; use a
database of its own). The last line reads:

    feed: rps=<n> p99_ms=<n> trivial_rps=<n> ratio_vs_trivial=<r>
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (  # noqa: E402
    CpuMeter,
    bench_env,
    load_spread,
    manage,
    serve_processes,
)

POSTS = 20

TOP_UP = f"""
from django.core.files.uploadedfile import SimpleUploadedFile
from plaza.catalog.models import Product, ProductStatus
from plaza.social.models import Post
from plaza.social.services import TagInput, post_create, post_publish

products = list(
    Product.objects.filter(status=ProductStatus.ACTIVE, images__isnull=False)
    .select_related("shop").distinct().order_by("id")
)
i = 0
while Post.objects.count() < {POSTS}:
    product = products[i % len(products)]
    i += 1
    image = product.images.order_by("position").first()
    with image.image.open("rb") as source:
        upload = SimpleUploadedFile("bench.jpg", source.read(), content_type="image/jpeg")
    owner = product.shop.memberships.get(role="owner").user
    post = post_create(
        shop=product.shop, author=owner, caption=product.title + " #bench",
        media=[upload], tags=[TagInput(product_id=product.pk, x=0.5, y=0.5)],
    )
    post_publish(post=post)
print(Post.objects.count())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=16, help="keep-alive connections")
    parser.add_argument("--seconds", type=float, default=60.0, help="time limit per endpoint")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn processes")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="plaza-bench-feed-") as folder:
        env = bench_env(Path(folder))
        database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite (WAL)"
        database_name = urlsplit(os.environ.get("DATABASE_URL", "")).path.lstrip("/") or "-"
        print(f"Preparing Plaza on {database} in {folder} ...", flush=True)
        manage("migrate", "--noinput", "-v0", env=env)
        manage("seed_demo", "--if-empty", env=env)
        posts = manage("shell", "-c", TOP_UP, env=env).strip().splitlines()[-1]
        print(
            f"{posts} published posts; {args.workers} uvicorn processes; "
            f"{args.requests} requests per endpoint over {args.concurrency} connections"
        )
        with serve_processes(env=env, processes=args.workers) as bases:
            feed_urls = [f"{base}/feed/?tab=for-you" for base in bases]
            trivial_urls = [f"{base}/livez" for base in bases]
            # Warm up both endpoints (connections, caches, the first template render).
            load_spread(feed_urls, total=100, concurrency=4, seconds=20)
            load_spread(trivial_urls, total=100, concurrency=4, seconds=20)
            with CpuMeter(database_name) as feed_cpu:
                feed = load_spread(
                    feed_urls,
                    total=args.requests,
                    concurrency=args.concurrency,
                    seconds=args.seconds,
                )
            trivial = load_spread(
                trivial_urls,
                total=args.requests,
                concurrency=args.concurrency,
                seconds=args.seconds,
            )
    print(feed.line("feed (20 posts)"))
    print(f"CPU per feed page: {feed_cpu.per(feed.ok)}")
    print(trivial.line("trivial /livez"))
    if feed.errors or trivial.errors:
        print(f"errors: feed {dict(feed.errors)} trivial {dict(trivial.errors)}")
    ratio = feed.per_second / trivial.per_second if trivial.per_second else float("nan")
    print(
        f"feed: rps={feed.per_second:.1f} p99_ms={feed.percentile(99):.1f} "
        f"trivial_rps={trivial.per_second:.1f} ratio_vs_trivial={ratio:.2f}"
    )
    if feed.errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
