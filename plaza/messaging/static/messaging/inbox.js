/* The staff inbox: live list and messages, the reply box.
   Loaded in <head> before Alpine starts (not deferred), so that `inboxReply` is registered when
   Alpine initialises the page. Every action also works as a plain form without JavaScript.

   - [data-inbox-socket]: the page follows ws/inbox/<shop>/; on {"type": "conversation"} it fires
     "inbox-changed" on #inbox-list, whose hx-trigger fetches the list again (debounced by htmx).
   - #inbox-messages[data-socket]: follows ws/chat/<id>/; on {"type": "message"} it fetches the
     messages after the last one shown and adds those it does not show yet (by id).
   - form[data-inbox-send]: posted with fetch; the answer is the new message (added like the
     socket's) or the error, shown above the reply box. */
(() => {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";

  function follow(path, onMessage) {
    let delay = 1000;
    const open = () => {
      const socket = new WebSocket(`${scheme}//${location.host}${path}`);
      socket.onopen = () => { delay = 1000; };
      socket.onmessage = (event) => {
        try { onMessage(JSON.parse(event.data)); } catch (error) { /* not ours */ }
      };
      socket.onclose = (event) => {
        if (event.code === 4403) return; // refused: not staff of this shop any more
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      };
    };
    open();
  }

  function thread() { return document.getElementById("inbox-messages"); }

  function lastId(box) {
    let last = 0;
    for (const el of box.querySelectorAll("[data-message-id]")) {
      last = Math.max(last, Number(el.dataset.messageId) || 0);
    }
    return last;
  }

  function addMessages(html) {
    const box = thread();
    if (!box) return;
    const template = document.createElement("template");
    template.innerHTML = html;
    let added = false;
    for (const el of template.content.querySelectorAll("[data-message-id]")) {
      if (box.querySelector(`[data-message-id="${el.dataset.messageId}"]`)) continue;
      box.append(el);
      added = true;
    }
    if (added) box.scrollTop = box.scrollHeight;
  }

  let fetching = null;
  let again = false;
  async function fetchNew() {
    const box = thread();
    if (!box) return;
    if (fetching) { again = true; return; }
    fetching = (async () => {
      do {
        again = false;
        const url = `${box.dataset.messagesUrl}?after=${lastId(box)}`;
        const response = await fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
        if (response.ok) addMessages(await response.text());
      } while (again);
    })();
    try { await fetching; } finally { fetching = null; }
  }

  async function send(form) {
    const error = form.querySelector("[data-inbox-error]") || document.querySelector("#inbox-reply [data-inbox-error]");
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "HX-Request": "true" },
        credentials: "same-origin",
      });
      const text = await response.text();
      if (response.ok) {
        addMessages(text);
        if (form.id === "inbox-reply") {
          form.reset();
          form.dispatchEvent(new CustomEvent("inbox-sent", { bubbles: true }));
        }
        if (error) { error.hidden = true; error.textContent = ""; }
      } else if (error) {
        error.textContent = text.trim() || response.statusText;
        error.hidden = false;
      }
    } finally {
      if (button) button.disabled = false;
    }
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-inbox-send")) return;
    event.preventDefault();
    send(form);
  });

  document.addEventListener("DOMContentLoaded", () => {
    const inbox = document.querySelector("[data-inbox-socket]");
    if (inbox) {
      follow(inbox.dataset.inboxSocket, (data) => {
        const list = document.getElementById("inbox-list");
        if (data.type === "conversation" && list && window.htmx) htmx.trigger(list, "inbox-changed");
      });
    }
    const box = thread();
    if (box && box.dataset.socket) {
      box.scrollTop = box.scrollHeight;
      follow(box.dataset.socket, (data) => { if (data.type === "message") fetchNew(); });
    }
  });

  /* The reply box: "/" shows the shop's canned replies (arrows and Enter pick one), the note
     toggle, the product picker. Sending is allowed while the window is open, notes always. */
  document.addEventListener("alpine:init", () => {
    Alpine.data("inboxReply", (windowOpen) => ({
      open: windowOpen,
      note: false,
      picker: false,
      text: "",
      active: 0,
      replies: [],
      init() {
        const data = document.getElementById("inbox-canned");
        this.replies = data ? JSON.parse(data.textContent) : [];
        this.text = this.$refs.text.value;
        this.note = !!this.$root.querySelector("input[name=note]:checked");
        this.$root.addEventListener("inbox-sent", () => { this.text = ""; this.note = false; });
      },
      suggestions() {
        const match = /^\/([\w-]*)$/.exec(this.text || "");
        if (!match) return [];
        const typed = match[1].toLowerCase();
        return this.replies.filter((r) => r.code.startsWith(typed)).slice(0, 8);
      },
      pick(reply) {
        this.text = `/${reply.code} `;
        this.active = 0;
        this.$refs.text.focus();
      },
      keydown(event) {
        const found = this.suggestions();
        if (!found.length) { this.active = 0; return; }
        if (event.key === "ArrowDown") { this.active = (this.active + 1) % found.length; event.preventDefault(); }
        else if (event.key === "ArrowUp") { this.active = (this.active + found.length - 1) % found.length; event.preventDefault(); }
        else if (event.key === "Enter" || event.key === "Tab") { this.pick(found[this.active] || found[0]); event.preventDefault(); }
      },
    }));
  });
})();
