// The shopper's web chat (plaza/messaging/views.py). A launcher ([data-chat-launcher], a link to
// the chat page) opens the chat in a panel: a bottom sheet on a phone, a side panel on a desktop.
// The panel's form posts with htmx and appends the answer (the customer's message and the bot's);
// a refusal (422, 429...) shows in #ch-error and the typed text stays. A WebSocket
// (ws/chat/<conversation id>/) says {"type": "message", "id": N} for every new message: the panel
// then fetches the messages after the last one it shows. Messages are keyed by id in the DOM, so
// one that both the answer and the socket bring shows once. The socket reconnects with backoff.
(() => {
  if (window.plazaChat) return;
  window.plazaChat = true;

  const MAX_DELAY = 30000;
  const REFUSED = 4403;
  let socket = null;
  let following = null; // conversation id the socket follows
  let stopped = true;
  let delay = 1000;
  let retry = null;
  let fetching = false;
  let fetchAgain = false;

  const chat = () => document.querySelector("[data-chat]");
  const list = () => document.getElementById("ch-messages");
  const finePointer = () => window.matchMedia("(pointer: fine)").matches;

  function lastId() {
    const items = list() ? list().querySelectorAll(":scope > [data-id]") : [];
    let last = 0;
    for (const item of items) last = Math.max(last, Number(item.dataset.id) || 0);
    return last;
  }

  // Times in the reader's own time zone (the server writes UTC).
  function localTimes(root) {
    for (const el of root.querySelectorAll(".ch-meta time[datetime]")) {
      if (el.dataset.local) continue;
      const when = new Date(el.getAttribute("datetime"));
      if (Number.isNaN(when.getTime())) continue;
      el.textContent = when.toLocaleTimeString(document.documentElement.lang || undefined, {
        hour: "2-digit", minute: "2-digit",
      });
      el.dataset.local = "1";
    }
  }

  function scrollDown() {
    const box = document.querySelector("[data-chat-scroll]");
    if (box) box.scrollTop = box.scrollHeight;
  }

  // One element per message id, in id order (ids grow with time).
  function tidy() {
    const box = list();
    if (!box) return;
    const seen = new Set();
    for (const item of [...box.children]) {
      const id = item.dataset.id;
      if (!id) continue;
      if (seen.has(id)) item.remove();
      else seen.add(id);
    }
    const items = [...box.children];
    const sorted = [...items].sort((a, b) => Number(a.dataset.id) - Number(b.dataset.id));
    if (sorted.some((item, index) => item !== items[index])) sorted.forEach((item) => box.append(item));
  }

  function append(html) {
    const box = list();
    if (!box) return;
    const template = document.createElement("template");
    template.innerHTML = html;
    for (const item of [...template.content.children]) {
      if (item.id && document.getElementById(item.id)) continue;
      box.append(item);
      if (window.htmx) window.htmx.process(item);
    }
    tidy();
    localTimes(box);
    scrollDown();
  }

  // Fetch what came after the last message shown; one request at a time, again if asked meanwhile.
  async function catchUp() {
    if (fetching) {
      fetchAgain = true;
      return;
    }
    fetching = true;
    try {
      do {
        fetchAgain = false;
        const panel = chat();
        if (!panel) return;
        const url = new URL(panel.dataset.messagesUrl, location.href);
        const last = lastId();
        if (last) url.searchParams.set("after", String(last));
        const response = await fetch(url, {
          headers: { "HX-Request": "true" },
          credentials: "same-origin",
        });
        if (response.ok) append(await response.text());
      } while (fetchAgain);
    } catch {
      // Offline for a moment: the socket's reconnection catches up.
    } finally {
      fetching = false;
    }
  }

  function disconnect() {
    stopped = true;
    clearTimeout(retry);
    if (socket) socket.close();
    socket = null;
    following = null;
  }

  function connect(id) {
    if (!id) return;
    if (socket && following === id) return;
    if (socket) disconnect();
    stopped = false;
    following = id;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/ws/chat/${id}/`);
    socket = ws;
    ws.addEventListener("open", () => {
      delay = 1000;
      catchUp(); // anything sent while the page loaded or the socket was down
    });
    ws.addEventListener("message", (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      if (data && data.type === "message" && !document.getElementById(`ch-msg-${data.id}`)) catchUp();
    });
    ws.addEventListener("close", (event) => {
      if (socket !== ws) return;
      socket = null;
      if (stopped || event.code === REFUSED) return;
      retry = setTimeout(() => {
        if (!stopped && following === id) {
          following = null;
          connect(id);
        }
      }, delay * (1 + Math.random() / 2));
      delay = Math.min(delay * 2, MAX_DELAY);
    });
  }

  function fit(textarea) {
    textarea.style.height = "auto";
    textarea.style.height = `${Math.min(textarea.scrollHeight + 2, 160)}px`;
  }

  function start(panel) {
    if (!panel) return;
    localTimes(panel);
    scrollDown();
    const textarea = panel.querySelector("textarea");
    if (textarea) {
      fit(textarea);
      if (finePointer()) textarea.focus({ preventScroll: true });
    }
    if (panel.dataset.conversation) connect(panel.dataset.conversation);
  }

  // --- the panel --------------------------------------------------------------------------

  function dialog() {
    let box = document.getElementById("ch-panel");
    if (box) return box;
    box = document.createElement("dialog");
    box.id = "ch-panel";
    box.className = "ch-dialog";
    box.setAttribute("aria-labelledby", "ch-title");
    box.innerHTML = '<div id="ch-panel-body" class="ch-panel-body"></div>';
    document.body.append(box);
    box.addEventListener("close", disconnect);
    // A tap on the dimmed backdrop closes the panel, as on every phone.
    box.addEventListener("click", (event) => {
      if (event.target !== box) return;
      const r = box.getBoundingClientRect();
      const inside = event.clientX >= r.left && event.clientX <= r.right &&
        event.clientY >= r.top && event.clientY <= r.bottom;
      if (!inside) box.close();
    });
    return box;
  }

  function open(url) {
    const box = dialog();
    const body = box.querySelector("#ch-panel-body");
    if (!box.open) box.showModal();
    if (box.dataset.url === url && body.querySelector("[data-chat]")) {
      start(chat());
      return;
    }
    box.dataset.url = url;
    window.htmx.ajax("GET", url, { target: body, swap: "innerHTML" });
  }

  document.addEventListener("click", (event) => {
    const closer = event.target.closest && event.target.closest("[data-chat-close]");
    if (closer && closer.closest("dialog")) {
      event.preventDefault();
      closer.closest("dialog").close();
      return;
    }
    const link = event.target.closest && event.target.closest("[data-chat-launcher]");
    if (!link || !window.htmx || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    open(link.href);
  });

  // --- sending ------------------------------------------------------------------------------

  const inChat = (elt) => elt && elt.closest && elt.closest("[data-chat]");

  // A refusal carries its message for #ch-error (the server retargets it): show it.
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (!inChat(event.detail.elt)) return;
    const status = event.detail.xhr.status;
    if (status >= 400 && status < 500) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    } else if (status < 300 && event.detail.target && event.detail.target.id === "ch-messages") {
      // The socket may have brought some of these messages already: keep the ones shown (a
      // button in them may be pressed right now), add only the others.
      const template = document.createElement("template");
      template.innerHTML = event.detail.serverResponse;
      for (const item of [...template.content.children]) {
        if (item.id && document.getElementById(item.id)) item.remove();
      }
      event.detail.serverResponse = template.innerHTML;
    }
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const panel = inChat(event.detail.elt);
    if (!panel || event.detail.requestConfig?.verb !== "post") return;
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    const error = panel.querySelector("#ch-error");
    if (status >= 200 && status < 300) {
      if (error) error.replaceChildren();
      const form = event.detail.elt.closest("form.ch-form");
      if (form) {
        const textarea = form.querySelector("textarea");
        textarea.value = "";
        fit(textarea);
        const file = form.querySelector("input[type=file]");
        if (file) file.value = "";
        form.querySelector(".ch-attach")?.classList.remove("has-file");
      }
    } else if ((status === 0 || status >= 500) && error) {
      // Nothing came back: say so, and keep what was typed.
      const line = document.createElement("p");
      line.className = "ch-error-text";
      line.textContent = panel.dataset.networkError;
      error.replaceChildren(line);
    }
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target;
    if (!target) return;
    if (target.id === "ch-messages") {
      tidy();
      localTimes(target);
      scrollDown();
    } else if (target.id === "ch-panel-body") {
      start(target.querySelector("[data-chat]"));
      target.querySelector("#ch-title")?.focus({ preventScroll: true });
    }
  });

  // The first message opened the conversation: follow it live from now on.
  document.addEventListener("chat:conversation", (event) => {
    const panel = chat();
    const id = event.detail && String(event.detail.id);
    if (!panel || !id) return;
    panel.dataset.conversation = id;
    connect(id);
  });

  document.addEventListener("input", (event) => {
    if (event.target.matches && event.target.matches(".ch-form textarea")) fit(event.target);
  });
  document.addEventListener("change", (event) => {
    const input = event.target;
    if (input.matches && input.matches(".ch-form input[type=file]")) {
      input.closest(".ch-attach").classList.toggle("has-file", input.files.length > 0);
    }
  });
  // Enter sends on a keyboard (Shift+Enter: a new line); never while an input method composes.
  document.addEventListener("keydown", (event) => {
    const textarea = event.target;
    if (!(textarea.matches && textarea.matches(".ch-form textarea"))) return;
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || !finePointer()) return;
    event.preventDefault();
    textarea.form.requestSubmit();
  });

  // The chat page (without the panel): start at once.
  const boot = () => {
    const panel = chat();
    if (panel && !panel.closest("dialog")) start(panel);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
