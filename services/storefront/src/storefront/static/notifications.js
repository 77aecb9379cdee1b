// Live order toasts for the signed-in shopper, over the notifications WebSocket.
//
// The token comes from the storefront (GET /session/socket, same origin) and is sent as the
// socket's first message, never in its URL. A dropped socket is reopened with exponential backoff
// and jitter, fetching the token again each time (tokens live 15 minutes); a 1008 close means
// the server refused us, and we stay away until the next page load.
(() => {
  "use strict";

  const script = document.currentScript;
  const endpoint = script.dataset.socketEndpoint;
  const ordersUrl = script.dataset.ordersUrl;
  const BASE_DELAY_MS = 1000;
  const MAX_DELAY_MS = 30000;
  const TOAST_MS = 15000;
  const POLICY_VIOLATION = 1008;
  const TEXTS = {
    "order.paid": (order) => `Order ${order} paid`,
    "order.payment_failed": (order) => `Order ${order}: payment failed`,
  };

  let attempt = 0;
  let stopped = false;
  // Events arrive at least once; a repeat (after a reconnect, say) shows no second toast.
  const shown = new Set();

  // Exposed for people and browser tests: connecting, ready, waiting, refused, signed-out.
  const setState = (state) => {
    document.documentElement.dataset.notifications = state;
  };

  const stop = (state) => {
    stopped = true;
    setState(state);
  };

  const retryLater = () => {
    if (stopped) return;
    const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
    attempt += 1;
    // Never sooner than half the ceiling, and spread so that a restarted server is not stampeded.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    setState("waiting");
    setTimeout(connect, delay);
  };

  const shortId = (orderId) => orderId.split("-", 1)[0].toUpperCase();

  const money = (cents, currency) => {
    if (!Number.isInteger(cents) || typeof currency !== "string") return "";
    try {
      return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(cents / 100);
    } catch {
      return "";
    }
  };

  const container = () => {
    let box = document.querySelector(".toasts");
    if (!box) {
      box = document.createElement("div");
      box.className = "toasts";
      box.setAttribute("aria-live", "polite");
      document.body.append(box);
    }
    return box;
  };

  const showToast = (type, orderId, amount) => {
    const toast = document.createElement("div");
    toast.className = `toast ${type === "order.paid" ? "ok" : "bad"}`;
    toast.setAttribute("role", "status");
    toast.dataset.testid = "toast";
    toast.dataset.eventType = type;
    toast.dataset.orderId = orderId;

    const text = document.createElement("p");
    text.className = "toast-text";
    text.textContent = TEXTS[type](shortId(orderId));
    if (amount) {
      const sum = document.createElement("span");
      sum.className = "toast-amount";
      sum.textContent = amount;
      text.append(" ", sum);
    }
    const link = document.createElement("a");
    link.className = "toast-link";
    link.dataset.testid = "toast-link";
    link.href = `${ordersUrl}/${encodeURIComponent(orderId)}`;
    link.textContent = "View order";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", () => toast.remove());

    toast.append(text, link, close);
    container().append(toast);
    setTimeout(() => toast.remove(), TOAST_MS);
  };

  const onMessage = (raw) => {
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    if (!message || typeof message !== "object") return;
    if (message.type === "ready") {
      attempt = 0;
      setState("ready");
      return;
    }
    if (!(message.type in TEXTS)) return;
    // design.md pushes the event's fields flat; accept them under `data` as well.
    const event = { ...(message.data || {}), ...message };
    if (typeof event.order_id !== "string") return;
    const key = event.event_id || `${message.type}:${event.order_id}`;
    if (shown.has(key)) return;
    shown.add(key);
    showToast(message.type, event.order_id, money(event.total_cents, event.currency));
  };

  async function connect() {
    if (stopped) return;
    setState("connecting");
    let grant;
    let socket;
    try {
      const response = await fetch(endpoint, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
      if (response.status === 401) return stop("signed-out");
      if (!response.ok) return retryLater();
      grant = await response.json();
      socket = new WebSocket(grant.url);
    } catch {
      return retryLater();
    }
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "auth", token: grant.token }));
    });
    socket.addEventListener("message", (event) => onMessage(event.data));
    socket.addEventListener("close", (event) => {
      if (event.code === POLICY_VIOLATION) return stop("refused");
      retryLater();
    });
  }

  connect();
})();
