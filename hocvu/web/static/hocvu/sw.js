/* hocvu service worker: lessons readable offline, answers kept in an outbox until sent.
 * Served from /sw.js; the server prepends `const CONFIG = {...}` (see hocvu/web/pwa.py
 * and docs/offline.md). */
"use strict";

const SHELL = "hocvu-shell-" + CONFIG.version;
const PAGES = "hocvu-pages"; // the learner's own pages: emptied at login and logout
const MEDIA = "hocvu-media";
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const ANSWER = new RegExp("^/learn/practice/(" + UUID + ")/(" + UUID + ")/$");
// Kept for offline use: lessons, and practice sets (so that a reload offline still works).
const KEEP = new RegExp("^/learn/(lessons/\\d+|practice/" + UUID + ")/$");
const FINAL = [400, 404, 409, 410, 422]; // the server refused the answer for good
const ANY = { ignoreVary: true };

self.addEventListener("install", (event) => {
  // Answers go straight to the network: a worker stopped while the learner read the
  // question (browsers stop idle workers after ~30 s) would otherwise have to start before
  // the answer leaves. When the network fails, the page hands the answer to the outbox
  // (app.js, message "queue"). Browsers without static routes still pass through answer().
  if (event.addRoutes && self.URLPattern) {
    event
      .addRoutes({
        condition: { urlPattern: new URLPattern({ pathname: CONFIG.answers }), requestMethod: "POST" },
        source: "network",
      })
      .catch(() => {});
  }
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(CONFIG.shell))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys.filter((k) => k.startsWith("hocvu-shell-") && k !== SHELL).map((k) => caches.delete(k)),
        ),
      )
      // A page asked for while the worker starts is fetched at the same time, not after.
      .then(() => self.registration.navigationPreload && self.registration.navigationPreload.enable())
      .then(() => self.clients.claim())
      .then(() => flush()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST") {
    if (ANSWER.test(url.pathname)) event.respondWith(answer(request, url));
    // A new person may be about to use this browser: forget the previous one's pages.
    else if (url.pathname === CONFIG.login || url.pathname === CONFIG.logout)
      event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (request.method !== "GET") return;
  if (CONFIG.static.some((prefix) => url.pathname.startsWith(prefix)))
    event.respondWith(cacheFirst(request, SHELL));
  else if (url.pathname.startsWith(CONFIG.media)) event.respondWith(cacheFirst(request, MEDIA));
  else if (request.mode === "navigate" || (request.headers.get("Accept") || "").includes("text/html"))
    event.respondWith(page(request, url, event));
});

async function cacheFirst(request, name) {
  const hit = await caches.match(request, ANY);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") {
    const cache = await caches.open(name);
    await cache.put(request, response.clone());
  }
  return response;
}

// Network first; the learner's pages are kept so that they open again offline.
async function page(request, url, event) {
  try {
    const response = (await event.preloadResponse) || (await fetch(request));
    if (response.ok && !response.redirected && !url.search && KEEP.test(url.pathname)) {
      const copy = response.clone();
      event.waitUntil(caches.open(PAGES).then((cache) => cache.put(url.pathname, copy)));
    }
    return response;
  } catch (error) {
    const hit = await caches.match(url.pathname, ANY);
    if (hit) return hit;
    if (request.mode === "navigate") {
      const fallback = await caches.match(CONFIG.offline, ANY);
      if (fallback) return fallback;
    }
    throw error;
  }
}

// ---- Answers: sent now, or kept in IndexedDB and replayed in order later ----

async function answer(request, url) {
  const body = await request.clone().text();
  let response = null;
  try {
    response = await fetch(request);
    if (![502, 503, 504].includes(response.status)) return response;
  } catch (error) {
    // offline, or the connection dropped: keep the answer
  }
  const [, , item] = url.pathname.match(ANSWER);
  await enqueue(url.pathname, body, request.headers.get("Content-Type"));
  if (request.headers.get("HX-Request") !== "true") {
    return Response.redirect(url.pathname.replace(/[^/]+\/$/, ""), 303);
  }
  // The page keeps the question on screen instead (app.js, htmx:beforeSwap); this
  // language-neutral card is only what a page without app.js would show.
  const html =
    '<section class="card question" id="q-' +
    item +
    '" data-queued><p class="feedback queued" role="status">\u23f3</p></section>';
  return new Response(html, {
    status: 202,
    headers: { "Content-Type": "text/html; charset=utf-8", "X-Hocvu-Queued": "1" },
  });
}

// Keep one answer (a form body posted to an answer URL) until it can be sent.
async function enqueue(path, body, type) {
  const [, attempt, item] = path.match(ANSWER);
  const params = new URLSearchParams(body);
  if (!params.has("answered_at")) params.set("answered_at", new Date().toISOString());
  const entry = {
    url: path,
    body: params.toString(),
    type: type || "application/x-www-form-urlencoded",
    answer: params.get("answer_id") || "",
    attempt,
    item,
    state: "pending",
  };
  try {
    await store("readwrite", (outbox) => outbox.add(entry));
  } catch (error) {
    // the same answer_id is already waiting (a double tap): keep the first one
  }
  if (self.registration.sync) self.registration.sync.register("hocvu-answers").catch(() => {});
  return report([]);
}

function openDb() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open("hocvu", 1);
    open.onupgradeneeded = () => {
      const outbox = open.result.createObjectStore("outbox", { keyPath: "id", autoIncrement: true });
      outbox.createIndex("answer", "answer", { unique: true });
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

async function store(mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction("outbox", mode);
    const request = work(tx.objectStore("outbox"));
    tx.oncomplete = () => resolve(request ? request.result : undefined);
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
}

let running = null;

// Replay the outbox in order, one at a time; resolves to the number still pending.
function flush(csrf) {
  if (!running) running = drain(csrf).finally(() => (running = null));
  return running;
}

async function drain(csrf) {
  const sent = [];
  const entries = await store("readonly", (outbox) => outbox.getAll());
  for (const entry of entries) {
    if (entry.state !== "pending") continue;
    let body = entry.body;
    if (csrf && entry.type.includes("urlencoded")) {
      // The token of the page open now: the stored one dies when the person logs in again.
      const params = new URLSearchParams(body);
      params.set("csrfmiddlewaretoken", csrf);
      body = params.toString();
    }
    let response;
    try {
      response = await fetch(entry.url, {
        method: "POST",
        body,
        credentials: "same-origin",
        redirect: "manual", // a redirect means the session ended: keep the answer
        headers: { "Content-Type": entry.type, "HX-Request": "true" },
      });
    } catch (error) {
      break; // still offline
    }
    if (response.ok) {
      await store("readwrite", (outbox) => outbox.delete(entry.id));
    } else if (FINAL.includes(response.status)) {
      entry.state = "failed";
      entry.status = response.status;
      await store("readwrite", (outbox) => outbox.put(entry));
    } else {
      break; // not logged in, forbidden or server trouble: try again later
    }
    sent.push({ attempt: entry.attempt, item: entry.item, status: response.status });
  }
  return report(sent);
}

// Tell every open page what the outbox holds; resolves to the number still pending.
async function report(sent) {
  const entries = await store("readonly", (outbox) => outbox.getAll());
  const message = {
    type: "outbox",
    entries: entries.map((e) => ({ attempt: e.attempt, item: e.item, state: e.state })),
    sent,
  };
  const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  pages.forEach((client) => client.postMessage(message));
  return entries.filter((e) => e.state === "pending").length;
}

self.addEventListener("sync", (event) => {
  if (event.tag !== "hocvu-answers") return;
  // Rejecting makes the browser try again later.
  event.waitUntil(
    flush().then((pending) => {
      if (pending) throw new Error("answers still waiting");
    }),
  );
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  const reply = (value) => event.ports[0] && event.ports[0].postMessage(value);
  if (data.type === "sync") event.waitUntil(flush(data.csrf).then(reply));
  else if (data.type === "queue" && ANSWER.test(new URL(data.url, self.location).pathname))
    event.waitUntil(enqueue(new URL(data.url, self.location).pathname, data.body, data.contentType).then(reply));
  else if (data.type === "status") event.waitUntil(report([]).then(reply));
  else if (data.type === "logout")
    event.waitUntil(
      Promise.all([caches.delete(PAGES), store("readwrite", (outbox) => outbox.clear())]).then(() =>
        reply(0),
      ),
    );
});

// Every start of the worker is a chance to send what waits.
flush().catch(() => {});
