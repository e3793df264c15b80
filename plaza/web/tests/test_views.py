import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_when_the_database_answers(client):
    # when
    response = client.get("/healthz")
    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_language_set_keeps_the_choice_in_a_cookie_and_goes_back(client):
    # when
    response = client.post(reverse("language-set"), {"language": "fr", "next": "/search/"})
    # then
    assert response.status_code == 302
    assert response["Location"] == "/search/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"


@pytest.mark.parametrize("code", ["tl", "zh-hans", "ja", "af"])
def test_every_ui_language_can_be_selected(client, code):
    response = client.post(reverse("language-set"), {"language": code, "next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == code


def test_language_set_refuses_an_unknown_code_with_a_clear_message(client):
    # when
    response = client.post(reverse("language-set"), {"language": "xx", "next": "/"})
    # then
    assert response.status_code == 400
    assert "does not have that language" in response.content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_language_set_never_redirects_to_another_site(client):
    response = client.post(
        reverse("language-set"), {"language": "fr", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_language_set_remembers_the_choice_for_a_logged_in_user(client, shopper):
    client.force_login(shopper)
    client.post(reverse("language-set"), {"language": "ja", "next": "/"})
    shopper.refresh_from_db()
    assert shopper.language == "ja"


def test_a_request_body_over_the_limit_is_refused_with_413_before_it_is_read(client, settings):
    # given
    settings.PLAZA_MAX_REQUEST_BYTES = 1024
    # when
    response = client.post(
        reverse("language-set"), data="x" * 2048, content_type="application/octet-stream"
    )
    # then
    assert response.status_code == 413
    assert "too large" in response.content.decode()


def test_an_unknown_page_gets_the_translated_404_page(client):
    response = client.get("/no-such-page/at-all/")
    assert response.status_code == 404


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL") and not os.environ.get("PLAZA_REQUIRE_SERVICES"),
    reason="Redis is configured only in the scaled setup (REDIS_URL); CI always sets it.",
)
def test_the_cache_is_redis_and_answers_when_redis_url_is_set():
    # given: CI sets REDIS_URL, so a missing Redis fails here instead of being skipped
    assert "redis" in settings.CACHES["default"]["BACKEND"].lower()
    # when
    cache.set("plaza-test-key", "value", 5)
    # then
    assert cache.get("plaza-test-key") == "value"


@pytest.mark.skipif(
    not os.environ.get("PLAZA_REQUIRE_SERVICES"),
    reason="CI sets PLAZA_REQUIRE_SERVICES and runs the suite on PostgreSQL.",
)
def test_ci_runs_the_suite_on_postgresql():
    # given: CI promises PostgreSQL; a missing DATABASE_URL must fail, not silently use SQLite
    from django.db import connection

    # then
    assert connection.vendor == "postgresql"


def test_the_413_page_speaks_the_readers_language(client, settings):
    # given
    settings.PLAZA_MAX_REQUEST_BYTES = 1024
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    # when
    response = client.post("/", data="x" * 2048, content_type="application/octet-stream")
    # then
    assert response.status_code == 413
    assert "trop volumineuse" in response.content.decode()


def test_uploaded_media_is_served_from_the_media_root_of_the_moment(client, settings):
    # given: the test settings point MEDIA_ROOT at a fresh folder for this test
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    (settings.MEDIA_ROOT / "hello.txt").write_text("hi")
    # when
    response = client.get("/media/hello.txt")
    # then
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hi"


def _video(settings) -> bytes:
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    content = bytes(range(256)) * 40  # 10,240 bytes
    (settings.MEDIA_ROOT / "clip.mp4").write_bytes(content)
    return content


@pytest.mark.parametrize(
    ("asked", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=10000-", 10000, 10239),
        ("bytes=-240", 10000, 10239),
        ("bytes=10200-99999", 10200, 10239),  # past the end: to the end
        ("bytes=0-1", 0, 1),  # what Safari asks first of a video
    ],
)
def test_media_answers_the_byte_range_asked(client, settings, asked, first, last):
    content = _video(settings)
    response = client.get("/media/clip.mp4", HTTP_RANGE=asked)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(content)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Content-Type"] == "video/mp4" and response["Accept-Ranges"] == "bytes"
    assert b"".join(response.streaming_content) == content[first : last + 1]


def test_media_refuses_a_range_past_the_end_and_ignores_one_it_does_not_take(client, settings):
    content = _video(settings)
    past = client.get("/media/clip.mp4", HTTP_RANGE="bytes=20000-")
    assert past.status_code == 416 and past["Content-Range"] == f"bytes */{len(content)}"
    for ignored in ("bytes=0-1,5-9", "items=0-1", "bytes=9-2", "bytes=-"):
        whole = client.get("/media/clip.mp4", HTTP_RANGE=ignored)
        assert whole.status_code == 200, ignored
        assert b"".join(whole.streaming_content) == content
    # a range of a file changed since (If-Range no longer matches): the whole new file
    stale = client.get(
        "/media/clip.mp4", HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE="Mon, 01 Jan 2024 00:00:00 GMT"
    )
    assert stale.status_code == 200 and stale["Accept-Ranges"] == "bytes"
    fresh = client.get(
        "/media/clip.mp4", HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=stale["Last-Modified"]
    )
    assert fresh.status_code == 206


def test_log_in_and_sign_up_links_come_back_to_the_page(client):
    response = client.get("/search/?q=tea")
    assert 'href="/accounts/login/?next=/search/%3Fq%3Dtea"' in response.content.decode()


def test_livez_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/livez")
    assert response.status_code == 200
    assert response.content == b"ok"
