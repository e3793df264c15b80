// Live stock: "Only N left" and "Sold out" change on the page as they change in the shop.
// One WebSocket per page (plaza/checkout/live.py) follows the products the page shows:
//   [data-stock-product="<id>"] (+ data-stock-variant="<id>")  text and sf-stock-in/low/out class;
//                                with data-stock-quiet: empty and hidden while in stock
//   input[data-stock-option="<variant id>"]                    disabled (and unchecked) when sold out
//   [data-stock-buy="<product id>"]                            its buttons disabled when sold out:
//      the variant of its data-variant (the picker's) with data-stock-bound, else the product.
// New elements brought by htmx are followed too. The socket reconnects with backoff.
(() => {
  const LIMIT = 60; // the server follows at most this many products per socket
  const FOLLOWED = "[data-stock-product],[data-stock-buy]";
  const STATES = ["sf-stock-in", "sf-stock-low", "sf-stock-out"];
  const latest = new Map(); // product id -> last message
  const subscribed = new Set();
  let socket = null;
  let delay = 1000;

  const within = (root, selector) => {
    const found = [...root.querySelectorAll(selector)];
    return root.matches && root.matches(selector) ? [root, ...found] : found;
  };
  const productIds = (root) =>
    within(root, FOLLOWED).map((el) => el.dataset.stockProduct || el.dataset.stockBuy);

  function subscribe(ids) {
    const fresh = [...new Set(ids)].filter((id) => /^\d+$/.test(id) && !subscribed.has(id));
    if (!fresh.length || !socket || socket.readyState !== WebSocket.OPEN) return;
    const sent = fresh.slice(-LIMIT);
    sent.forEach((id) => subscribed.add(id));
    socket.send(JSON.stringify({ subscribe: sent.map(Number) }));
  }

  function showLine(el, entry) {
    const quiet = el.hasAttribute("data-stock-quiet") && entry.state === "in";
    el.classList.remove(...STATES);
    el.classList.add(`sf-stock-${entry.state}`);
    // Keep the decorative children (the dot), replace the words.
    for (const node of [...el.childNodes]) {
      if (!(node.nodeType === 1 && node.getAttribute("aria-hidden") === "true")) node.remove();
    }
    if (!quiet) el.append(entry.label);
    el.hidden = quiet;
  }

  function showBuy(box, message) {
    let entry = message;
    if (box.hasAttribute("data-stock-bound")) {
      if (!box.dataset.variant) return; // no variant chosen: the picker keeps its buttons off
      entry = message.variants[box.dataset.variant];
      if (!entry) return;
    }
    for (const button of box.querySelectorAll("button")) button.disabled = entry.state === "out";
  }

  function apply(root, message) {
    const id = String(message.product);
    for (const el of within(root, `[data-stock-product="${id}"]`)) {
      const variant = el.dataset.stockVariant;
      const entry = variant ? message.variants[variant] : message;
      if (entry) showLine(el, entry);
    }
    for (const input of within(root, "input[data-stock-option]")) {
      const entry = message.variants[input.dataset.stockOption];
      if (!entry) continue;
      const out = entry.state === "out";
      input.disabled = out;
      if (out) input.checked = false;
      const label = input.closest(".co-variant");
      if (label) label.classList.toggle("co-variant-out", out);
    }
    for (const box of within(root, `[data-stock-buy="${id}"]`)) showBuy(box, message);
  }

  function connect() {
    if (socket || !document.querySelector(FOLLOWED)) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const lang = encodeURIComponent(document.documentElement.lang || "");
    socket = new WebSocket(`${scheme}//${location.host}/ws/stock/?lang=${lang}`);
    socket.addEventListener("open", () => {
      delay = 1000;
      subscribed.clear();
      subscribe(productIds(document)); // answered with the current stock of each
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!message || !message.product || !message.variants) return;
      latest.set(String(message.product), message);
      apply(document, message);
    });
    socket.addEventListener("close", () => {
      socket = null;
      setTimeout(connect, delay * (1 + Math.random() / 2));
      delay = Math.min(delay * 2, 30000);
    });
  }

  document.addEventListener("htmx:afterSwap", (event) => {
    const root = event.detail.target || event.target;
    for (const id of productIds(root)) if (latest.has(id)) apply(root, latest.get(id));
    if (socket) subscribe(productIds(root));
    else connect();
  });
  // The product page's picker changes data-variant: its buy box follows the chosen variant.
  new MutationObserver((changes) => {
    for (const change of changes) {
      const box = change.target;
      const message = box.dataset && latest.get(box.dataset.stockBuy);
      if (message) showBuy(box, message);
    }
  }).observe(document.documentElement, { subtree: true, attributeFilter: ["data-variant"] });

  connect();
})();
