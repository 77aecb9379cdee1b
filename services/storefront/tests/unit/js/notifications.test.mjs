// notifications.js against fakes of the browser: fetch, WebSocket, timers and a sliver of DOM.
// Run by test_scripts.py with `node --test`; no packages needed.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import vm from "node:vm";

const SOURCE = readFileSync(
  new URL("../../../src/storefront/static/notifications.js", import.meta.url),
  "utf8",
);
const ORDER = "5b1d1a52-43d6-4b5c-9d3e-3c2f1b0a9e8d";

class FakeElement {
  constructor(tag) {
    this.tag = tag;
    this.dataset = {};
    this.attributes = {};
    this.children = [];
    this.listeners = {};
    this.textContent = "";
    this.parent = null;
  }
  setAttribute(name, value) { this.attributes[name] = value; }
  append(...nodes) {
    for (const node of nodes) {
      if (typeof node === "string") this.textContent += node;
      else { node.parent = this; this.children.push(node); }
    }
  }
  remove() {
    if (this.parent) this.parent.children = this.parent.children.filter((c) => c !== this);
  }
  addEventListener(type, listener) { this.listeners[type] = listener; }
  get text() { return this.textContent + this.children.map((c) => c.text).join(""); }
}

function browser({ grants = [], random = 1 } = {}) {
  const toasts = new FakeElement("div");
  const sockets = [];
  const timers = [];
  const fetches = [];
  class FakeSocket {
    constructor(url) {
      this.url = url;
      this.sent = [];
      this.listeners = {};
      sockets.push(this);
    }
    addEventListener(type, listener) { this.listeners[type] = listener; }
    send(data) { this.sent.push(JSON.parse(data)); }
    fire(type, event = {}) { this.listeners[type]?.(event); }
    receive(message) { this.fire("message", { data: JSON.stringify(message) }); }
  }
  const document = {
    documentElement: { dataset: {} },
    currentScript: { dataset: { socketEndpoint: "/session/socket", ordersUrl: "/orders" } },
    body: new FakeElement("body"),
    querySelector: (selector) => (selector === ".toasts" ? toasts : null),
    createElement: (tag) => new FakeElement(tag),
  };
  const context = vm.createContext({
    document,
    WebSocket: FakeSocket,
    setTimeout: (fn, delay) => timers.push({ fn, delay }),
    fetch: async (url, options) => {
      fetches.push({ url, options });
      const next = grants.shift() ?? { status: 200, body: { url: "ws://ws.test/ws", token: "t" } };
      if (next instanceof Error) throw next;
      return { status: next.status, ok: next.status < 300, json: async () => next.body };
    },
    Intl,
  });
  vm.runInContext(`Math.random = () => ${random};`, context);
  vm.runInContext(SOURCE, context);
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const runTimer = async () => {
    const timer = timers.shift();
    timer.fn();
    await settle();
    return timer.delay;
  };
  const state = () => document.documentElement.dataset.notifications;
  return { toasts, sockets, timers, fetches, settle, runTimer, state };
}

const grant = (token) => ({ status: 200, body: { url: "ws://ws.test/ws", token } });

test("asks the storefront for a token and sends it as the first message", async () => {
  const b = browser({ grants: [grant("token-1")] });
  await b.settle();
  assert.equal(b.fetches[0].url, "/session/socket");
  assert.equal(b.fetches[0].options.credentials, "same-origin");
  assert.equal(b.fetches[0].options.cache, "no-store");
  const [socket] = b.sockets;
  assert.equal(socket.url, "ws://ws.test/ws");
  assert.deepEqual(socket.sent, []);
  socket.fire("open");
  assert.deepEqual(socket.sent, [{ type: "auth", token: "token-1" }]);
  socket.receive({ type: "ready" });
  assert.equal(b.state(), "ready");
});

test("a paid order shows one toast linking to the order, however often it arrives", async () => {
  const b = browser();
  await b.settle();
  const [socket] = b.sockets;
  const paid = { type: "order.paid", event_id: "e-1", order_id: ORDER, total_cents: 2398, currency: "USD" };
  socket.receive(paid);
  socket.receive(paid);
  assert.equal(b.toasts.children.length, 1);
  const [toast] = b.toasts.children;
  assert.equal(toast.dataset.testid, "toast");
  assert.equal(toast.dataset.orderId, ORDER);
  assert.match(toast.text, /^Order 5B1D1A52 paid/);
  assert.match(toast.text, /23\.98/);
  const link = toast.children.find((c) => c.dataset.testid === "toast-link");
  assert.equal(link.href, `/orders/${ORDER}`);
});

test("a failed payment shows its toast, also when the fields come under data", async () => {
  const b = browser();
  await b.settle();
  b.sockets[0].receive({ type: "order.payment_failed", data: { order_id: ORDER } });
  b.sockets[0].receive({ type: "something.else", data: { order_id: ORDER } });
  b.sockets[0].receive("not json at all");
  assert.equal(b.toasts.children.length, 1);
  assert.match(b.toasts.children[0].text, /^Order 5B1D1A52: payment failed/);
});

test("a dropped socket is reopened with a fresh token, backing off with jitter up to a cap", async () => {
  const b = browser({ grants: [grant("token-1"), grant("token-2")], random: 1 });
  await b.settle();
  b.sockets[0].fire("close", { code: 1006 });
  assert.equal(b.state(), "waiting");
  assert.equal(await b.runTimer(), 1000);
  assert.equal(b.fetches.length, 2);
  b.sockets[1].fire("open");
  assert.deepEqual(b.sockets[1].sent, [{ type: "auth", token: "token-2" }]);

  const delays = [];
  for (let i = 0; i < 8; i += 1) {
    b.sockets.at(-1).fire("close", { code: 1001 });
    delays.push(await b.runTimer());
  }
  assert.deepEqual(delays, [2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
});

test("jitter never waits less than half the ceiling", async () => {
  const b = browser({ random: 0 });
  await b.settle();
  b.sockets[0].fire("close", { code: 1006 });
  assert.equal(await b.runTimer(), 500);
  b.sockets[1].fire("close", { code: 1006 });
  assert.equal(await b.runTimer(), 1000);
});

test("being ready again starts the backoff over", async () => {
  const b = browser();
  await b.settle();
  b.sockets[0].fire("close", { code: 1006 });
  await b.runTimer();
  b.sockets[1].fire("close", { code: 1006 });
  assert.equal(await b.runTimer(), 2000);
  b.sockets[2].receive({ type: "ready" });
  b.sockets[2].fire("close", { code: 1001 });
  assert.equal(await b.runTimer(), 1000);
});

test("a 1008 close stops reconnecting until the next page load", async () => {
  const b = browser();
  await b.settle();
  b.sockets[0].fire("close", { code: 1008 });
  assert.equal(b.timers.length, 0);
  assert.equal(b.state(), "refused");
});

test("logged out (401) means no socket and no retry", async () => {
  const b = browser({ grants: [{ status: 401, body: {} }] });
  await b.settle();
  assert.equal(b.sockets.length, 0);
  assert.equal(b.timers.length, 0);
  assert.equal(b.state(), "signed-out");
});

test("the storefront unreachable or failing is retried", async () => {
  const b = browser({ grants: [new TypeError("offline"), { status: 503, body: {} }] });
  await b.settle();
  assert.equal(b.sockets.length, 0);
  await b.runTimer();
  assert.equal(b.sockets.length, 0);
  await b.runTimer();
  assert.equal(b.sockets.length, 1);
});
