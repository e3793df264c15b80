"""A local stand-in for the Graph API (Messenger, Instagram, WhatsApp) and the Telegram Bot API,
so that tests run the real client code over HTTP.

It listens on 127.0.0.1 on an ephemeral port, records every request, checks each one against
the published format and limits (channels spec, sections 3, 4 and 6) — a bearer token, JSON,
quick replies (13 at most, titles of 20), buttons (3), list rows (10), call-to-action buttons
(labels of 20, an absolute address), image headers, text lengths, Telegram's
callback data (64 bytes) — and answers with the documented response shapes. ``script()``
queues another answer (an error, a slow answer) for the next matching request; ``keep_file()``
serves a file (a customer's photo) as the networks' media addresses do.
"""

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from plaza.core.testing import LoopbackServer

# The Bot API's methods that send a file by its address, and the field the address goes in.
TELEGRAM_MEDIA_METHODS = {
    "sendPhoto": "photo",
    "sendVideo": "video",
    "sendAudio": "audio",
    "sendDocument": "document",
}


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    json: dict


@dataclass
class NetworkRecorder:
    requests: list[Recorded] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: list[tuple[str, int, dict, float]] = []
        self._files: dict[str, tuple[bytes, str, str]] = {}
        self._counter = 0
        self.http = LoopbackServer(self._handle)

    @property
    def url(self) -> str:
        return self.http.url

    def start(self) -> "NetworkRecorder":
        self.http.start()
        return self

    def stop(self) -> None:
        self.http.stop()

    def script(self, path_part: str, *, status: int, body: dict, delay: float = 0.0) -> None:
        """Answer the next request whose path contains ``path_part`` like this."""
        self._scripts.append((path_part, status, body, delay))

    def keep_file(self, path: str, content: bytes, content_type: str, *, bearer: str = "") -> str:
        """Serve ``content`` at ``path`` (a customer's photo the network keeps); with ``bearer``,
        only to a request carrying that token. Returns the file's address."""
        with self._lock:
            self._files[path] = (content, content_type, bearer)
        return f"{self.url}{path}"

    def sent(self, path_part: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and path_part in r.path]

    # --- serving ------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"_raw": raw.decode(errors="replace")}
        request = Recorded(
            method=handler.command,
            path=urlsplit(handler.path).path,
            headers={k.lower(): v for k, v in handler.headers.items()},
            json=body,
        )
        with self._lock:
            self.requests.append(request)
            kept = self._files.get(request.path) if request.method == "GET" else None
            if kept is None:
                self._check(request)
            script = next((s for s in self._scripts if s[0] in request.path), None)
            if script is not None:
                self._scripts.remove(script)
            self._counter += 1
            n = self._counter
        if script is not None:
            time.sleep(script[3])
            self._send(handler, script[1], script[2])
            return
        if kept is not None:
            content, content_type, bearer = kept
            if bearer and request.headers.get("authorization") != f"Bearer {bearer}":
                self._send(handler, 401, {"error": {"message": "no access to this file"}})
                return
            handler.send_response(200)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(content)))
            handler.end_headers()
            handler.wfile.write(content)
            return
        self._send(handler, 200, self._answer(request, n))

    @staticmethod
    def _send(handler, status: int, body: dict) -> None:
        LoopbackServer.send_json(handler, status, body, None)

    def _answer(self, request: Recorded, n: int) -> dict:
        if request.path.startswith("/bot"):
            method = request.path.rsplit("/", 1)[-1]
            if method == "getMe":
                return {"ok": True, "result": {"id": 777, "is_bot": True, "username": "kicks_bot"}}
            if method in ("sendMessage", "sendInvoice", *TELEGRAM_MEDIA_METHODS):
                return {
                    "ok": True,
                    "result": {"message_id": n, "chat": {"id": request.json.get("chat_id")}},
                }
            return {"ok": True, "result": True}
        if request.method == "GET":
            account = request.path.rstrip("/").rsplit("/", 1)[-1]
            return {"id": account, "name": "Kalye Kicks", "username": "kalyekicks"}
        if request.path.endswith("/subscribed_apps"):
            return {"success": True}
        if request.json.get("messaging_product") == "whatsapp":
            return {
                "messaging_product": "whatsapp",
                "contacts": [{"input": request.json.get("to"), "wa_id": request.json.get("to")}],
                "messages": [{"id": f"wamid.REC{n}"}],
            }
        recipient = request.json.get("recipient") or {}
        return {"recipient_id": recipient.get("id", "psid-from-comment"), "message_id": f"m_rec{n}"}

    # --- the formats' rules -------------------------------------------------------------

    def _check(self, request: Recorded) -> None:
        def problem(text: str) -> None:
            self.problems.append(f"{request.method} {request.path}: {text}")

        body = request.json
        if request.path.startswith("/bot"):
            if (
                request.method == "POST"
                and request.headers.get("content-type") != "application/json"
            ):
                problem("not JSON")
            method = request.path.rsplit("/", 1)[-1]
            if method == "sendInvoice":
                if not 1 <= len(body.get("title") or "") <= 32:
                    problem("invoice title is not 1 to 32 characters")
                if not 1 <= len(body.get("description") or "") <= 255:
                    problem("invoice description is not 1 to 255 characters")
                if not 1 <= len((body.get("payload") or "").encode()) <= 128:
                    problem("invoice payload is not 1 to 128 bytes")
                if not re.fullmatch(r"[A-Z]{3}", body.get("currency") or ""):
                    problem("currency is not an ISO 4217 code")
                prices = body.get("prices") or []
                if not prices or any(not isinstance(p.get("amount"), int) for p in prices):
                    problem("prices need integer amounts in minor units")
            if method in TELEGRAM_MEDIA_METHODS:
                field_name = TELEGRAM_MEDIA_METHODS[method]
                if not str(body.get(field_name, "")).startswith(("http://", "https://")):
                    problem(f"{method} has no {field_name} address")
                if "caption" in body and not 0 <= len(body["caption"]) <= 1024:
                    problem("a caption is 0 to 1024 characters")
            if method == "sendMessage":
                if not 1 <= len(body.get("text") or "") <= 4096:
                    problem("text is not 1 to 4096 characters")
                for row in (body.get("reply_markup") or {}).get("inline_keyboard") or []:
                    for button in row:
                        data = button.get("callback_data")
                        if data is not None and not 1 <= len(data.encode()) <= 64:
                            problem("callback_data is not 1 to 64 bytes")
                        if not button.get("text"):
                            problem("a button without text")
            return
        if not re.fullmatch(r"Bearer \S+", request.headers.get("authorization", "")):
            problem("no bearer token")
        if request.method != "POST":
            return
        if request.headers.get("content-type") != "application/json":
            problem("not JSON")
        if re.fullmatch(r"/v\d+\.\d+/[^/]+/subscribed_apps", request.path):
            # A Page or an Instagram account names its fields; a WhatsApp Business Account
            # takes none (the app's own fields apply).
            fields = str(body.get("subscribed_fields") or "")
            if body and not re.fullmatch(r"[a-z_]+(,[a-z_]+)*", fields):
                problem("subscribed_fields is not a comma-separated list of field names")
            return
        if not re.fullmatch(r"/v\d+\.\d+/[^/]+/messages", request.path):
            problem("not a /{version}/{id}/messages path")
        if body.get("messaging_product") == "whatsapp":
            self._check_whatsapp(body, problem)
        else:
            self._check_messenger(body, problem)

    @staticmethod
    def _check_messenger(body: dict, problem) -> None:
        recipient = body.get("recipient") or {}
        if not (recipient.get("id") or recipient.get("comment_id")):
            problem("no recipient id or comment_id")
        kind = body.get("messaging_type")
        if "comment_id" not in recipient and kind not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            problem("no messaging_type")
        if kind == "MESSAGE_TAG" and not body.get("tag"):
            problem("MESSAGE_TAG without a tag")
        message = body.get("message") or {}
        if "text" in message and not 1 <= len(message["text"]) < 2000:
            problem("text is not 1 to 1999 characters")
        quick = message.get("quick_replies") or []
        if len(quick) > 13:
            problem("more than 13 quick replies")
        for reply in quick:
            if reply.get("content_type") != "text" or not 1 <= len(reply.get("title", "")) <= 20:
                problem("a quick reply title is not 1 to 20 characters")
            if not 1 <= len(reply.get("payload", "")) <= 1000:
                problem("a quick reply payload is not 1 to 1000 characters")
        attachment = message.get("attachment") or {}
        if attachment.get("type") in ("image", "video", "audio", "file"):
            url = str((attachment.get("payload") or {}).get("url", ""))
            if not url.startswith(("http://", "https://")):
                problem(f"{attachment['type']} attachment has no absolute url")
        template = (attachment.get("payload")) or {}
        if template.get("template_type") == "button":
            if not 1 <= len(template.get("text", "")) <= 640:
                problem("button template text is not 1 to 640 characters")
            if not 1 <= len(template.get("buttons") or []) <= 3:
                problem("button template needs 1 to 3 buttons")
        if template.get("template_type") == "generic":
            elements = template.get("elements") or []
            if not 1 <= len(elements) <= 10:
                problem("generic template needs 1 to 10 elements")
            for element in elements:
                if not 1 <= len(element.get("title", "")) <= 80:
                    problem("element title is not 1 to 80 characters")
                if len(element.get("buttons") or []) > 3:
                    problem("more than 3 buttons on an element")

    @staticmethod
    def _check_whatsapp(body: dict, problem) -> None:
        if body.get("recipient_type") != "individual" or not body.get("to"):
            problem("no individual recipient")
        kind = body.get("type")
        if kind == "text":
            if not 1 <= len((body.get("text") or {}).get("body", "")) <= 4096:
                problem("text body is not 1 to 4096 characters")
        elif kind == "interactive":
            interactive = body.get("interactive") or {}
            action = interactive.get("action") or {}
            if interactive.get("type") == "button":
                buttons = action.get("buttons") or []
                if not 1 <= len(buttons) <= 3:
                    problem("reply buttons are not 1 to 3")
                for button in buttons:
                    reply = button.get("reply") or {}
                    if not 1 <= len(reply.get("title", "")) <= 20:
                        problem("a button title is not 1 to 20 characters")
                    if not 1 <= len(reply.get("id", "")) <= 256:
                        problem("a button id is not 1 to 256 characters")
                if len((interactive.get("body") or {}).get("text", "")) > 1024:
                    problem("button body over 1024 characters")
            elif interactive.get("type") == "list":
                rows = [r for s in action.get("sections") or [] for r in s.get("rows") or []]
                if not 1 <= len(rows) <= 10:
                    problem("a list has 1 to 10 rows")
                for row in rows:
                    if not 1 <= len(row.get("title", "")) <= 24:
                        problem("a row title is not 1 to 24 characters")
                if not 1 <= len(action.get("button", "")) <= 20:
                    problem("the list button is not 1 to 20 characters")
            elif interactive.get("type") == "cta_url":
                # A call-to-action URL button (Meta's Cloud API reference: "Interactive
                # Call-to-Action URL Button Messages"): one button that opens an address.
                parameters = action.get("parameters") or {}
                if action.get("name") != "cta_url":
                    problem("a call-to-action's action is not named cta_url")
                if not 1 <= len(parameters.get("display_text", "")) <= 20:
                    problem("a call-to-action label is not 1 to 20 characters")
                if not str(parameters.get("url", "")).startswith(("http://", "https://")):
                    problem("a call-to-action has no absolute address")
                if not 1 <= len((interactive.get("body") or {}).get("text", "")) <= 1024:
                    problem("a call-to-action body is not 1 to 1024 characters")
            else:
                problem("unknown interactive type")
            header = interactive.get("header")
            if header is not None and not (
                header.get("type") == "image"
                and str((header.get("image") or {}).get("link", "")).startswith("http")
            ):
                problem("a header is an image with an absolute link")
        elif kind == "template":
            template = body.get("template") or {}
            if not re.fullmatch(r"[a-z0-9_]{1,512}", template.get("name", "")):
                problem("a template needs its approved name")
            if not (template.get("language") or {}).get("code"):
                problem("a template needs a language code")
            for component in template.get("components") or []:
                if component.get("type") not in ("header", "body", "button"):
                    problem("a template component is a header, a body or a button")
                if component.get("type") == "button" and not (
                    component.get("sub_type") in ("url", "quick_reply")
                    and str(component.get("index", "")).isdigit()
                ):
                    problem("a button component needs its sub_type and index")
                for parameter in component.get("parameters") or []:
                    text = parameter.get("text", "")
                    kind = parameter.get("type")
                    if kind == "text" and (
                        not text or "\n" in text or "\t" in text or "     " in text
                    ):
                        problem("a text parameter is one line, no tabs, no five spaces")
                    if kind in ("image", "video", "document"):
                        if component.get("type") != "header":
                            problem("a media parameter belongs to the header")
                        link = str((parameter.get(kind) or {}).get("link", ""))
                        if not link.startswith(("http://", "https://")):
                            problem(f"a {kind} header has no absolute link")
        elif kind in ("image", "video", "audio", "document"):
            # Media messages (Cloud API reference, "Media messages"): a link Meta fetches; a
            # caption of at most 1,024 characters (none on audio); a document's filename.
            media = body.get(kind) or {}
            if not str(media.get("link", "")).startswith(("http://", "https://")):
                problem(f"{kind} has no absolute link")
            if "caption" in media and (kind == "audio" or not 1 <= len(media["caption"]) <= 1024):
                problem(f"{kind} caption is not 1 to 1024 characters (audio has none)")
            if "filename" in media and kind != "document":
                problem("only a document has a filename")
        else:
            problem(f"unexpected type {kind!r}")
