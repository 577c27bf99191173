/* hocvu service worker: pages readable offline, modules kept on purpose, answers kept in
 * an outbox until sent. Served from /sw.js; the server prepends `const CONFIG = {...}`
 * (see hocvu/web/pwa.py and docs/offline.md). */
"use strict";

const SHELL = "hocvu-shell-" + CONFIG.version;
const PAGES = "hocvu-pages"; // the learner's own pages: emptied at login and logout
const MEDIA = "hocvu-media";
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const ANSWER = new RegExp("^/learn/practice/(" + UUID + ")/(" + UUID + ")/$");
const DONE = /^\/learn\/lessons\/(\d+)\/done\/$/;
// Kept for offline use once opened: the learner's home, the path, lessons and practice sets.
const KEEP = new RegExp("^/learn/(path/|lessons/\\d+/|practice/" + UUID + "/)?$");
const FINAL = [400, 404, 409, 410, 422]; // the server refused the answer for good
const ANY = { ignoreVary: true };

// NEVER kept on the device, never answered from a cache: the certification exam (its
// pages, its answers, the pictures its pages show) and the API. A secure exam item must
// not outlive the exam in a browser's storage.
const never = (url, request) =>
  CONFIG.never.some((prefix) => url.pathname.startsWith(prefix)) ||
  (request && CONFIG.never.some((prefix) => referrerPath(request).startsWith(prefix)));

function referrerPath(request) {
  try {
    const from = new URL(request.referrer);
    return from.origin === self.location.origin ? from.pathname : "";
  } catch (error) {
    return ""; // no referrer
  }
}

// A response the server marked no-store (or private to one request) is never cached.
const storable = (response) =>
  response.ok && response.type === "basic" && !/no-store/.test(response.headers.get("Cache-Control") || "");

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
  if (never(url, request)) {
    // Straight to the network; a page that cannot load shows the offline page (which
    // holds nothing of the exam) instead of the browser's error.
    if (request.mode === "navigate" && request.method === "GET") event.respondWith(networkOnly(request, event));
    return;
  }
  if (request.method === "POST") {
    if (ANSWER.test(url.pathname)) event.respondWith(answer(request, url));
    else if (DONE.test(url.pathname)) event.respondWith(lessonDone(request, url));
    // A new person may be about to use this browser: forget the previous one's pages.
    else if (url.pathname === CONFIG.login || url.pathname === CONFIG.logout) event.waitUntil(forget());
    return;
  }
  if (request.method !== "GET") return;
  if (CONFIG.static.some((prefix) => url.pathname.startsWith(prefix)))
    event.respondWith(cacheFirst(request, SHELL));
  else if (url.pathname.startsWith(CONFIG.media)) event.respondWith(cacheFirst(request, MEDIA));
  else if (request.mode === "navigate" || (request.headers.get("Accept") || "").includes("text/html"))
    event.respondWith(page(request, url, event));
});

async function networkOnly(request, event) {
  try {
    return (await event.preloadResponse) || (await fetch(request));
  } catch (error) {
    const fallback = await caches.match(CONFIG.offline, ANY);
    if (fallback) return fallback;
    throw error;
  }
}

async function cacheFirst(request, name) {
  const hit = await caches.match(request, ANY);
  if (hit) return hit;
  const response = await fetch(request);
  if (storable(response)) {
    const cache = await caches.open(name);
    await cache.put(request, response.clone());
  }
  return response;
}

// Network first; the learner's pages are kept so that they open again offline.
async function page(request, url, event) {
  try {
    const response = (await event.preloadResponse) || (await fetch(request));
    if (storable(response) && !response.redirected && !url.search && KEEP.test(url.pathname)) {
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

// ---- Modules kept on purpose (the page asks: message "keep") ----

const SAME = new RegExp('(?:src|href)="(' + "/[^\"?#]*" + ')"', "g");

// Fetch and keep the pages of a module, the pictures and files they use; record what was
// kept and its size. Resolves to the record.
async function keep(module) {
  const pages = await caches.open(PAGES);
  const media = await caches.open(MEDIA);
  const shell = await caches.open(SHELL);
  let bytes = 0;
  const kept = [];
  const files = new Set();
  for (const path of module.urls) {
    const url = new URL(path, self.location);
    if (never(url) || !KEEP.test(url.pathname)) continue;
    const response = await fetch(url.pathname, { credentials: "same-origin" });
    if (!storable(response) || response.redirected) throw new Error("not kept: " + url.pathname);
    const html = await response.clone().text();
    bytes += new Blob([html]).size;
    await pages.put(url.pathname, response);
    kept.push(url.pathname);
    for (const [, ref] of html.matchAll(SAME)) files.add(ref.replace(/&amp;/g, "&"));
  }
  const pictures = [];
  for (const ref of files) {
    const url = new URL(ref, self.location);
    const isMedia = url.pathname.startsWith(CONFIG.media);
    const isStatic = CONFIG.static.some((prefix) => url.pathname.startsWith(prefix));
    if ((!isMedia && !isStatic) || never(url)) continue;
    const cache = isMedia ? media : shell;
    let response = await cache.match(url.pathname, ANY);
    if (!response) {
      response = await fetch(url.pathname);
      if (!storable(response)) continue;
      await cache.put(url.pathname, response.clone());
    }
    if (isMedia) {
      bytes += (await response.blob()).size;
      pictures.push(url.pathname);
    }
  }
  const record = {
    module: module.module,
    title: module.title,
    start: module.start,
    practice: module.practice || "",
    pages: kept,
    media: pictures,
    bytes,
    saved: new Date().toISOString(),
  };
  await store("kept", "readwrite", (s) => s.put(record));
  return record;
}

// Remove a kept module: its pages, and its pictures no other kept module shows.
async function drop(id) {
  const all = await store("kept", "readonly", (s) => s.getAll());
  const record = all.find((r) => r.module === id);
  if (!record) return false;
  const others = all.filter((r) => r.module !== id);
  const shared = new Set(others.flatMap((r) => [...r.pages, ...r.media]));
  const pages = await caches.open(PAGES);
  const media = await caches.open(MEDIA);
  for (const path of record.pages) {
    // The learner's home and path stay: they are kept whenever visited anyway.
    if (!shared.has(path) && /\/(lessons|practice)\//.test(path)) await pages.delete(path);
  }
  for (const path of record.media) if (!shared.has(path)) await media.delete(path);
  await store("kept", "readwrite", (s) => s.delete(id));
  return true;
}

// Forget the person: their pages, their kept modules (the outbox waits: see "logout").
function forget() {
  return Promise.all([caches.delete(PAGES), store("kept", "readwrite", (s) => s.clear()).catch(() => {})]);
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

// "I have read it" offline: remembered, sent later; the learner goes on to the next page
// (kept on the device, or the offline page).
async function lessonDone(request, url) {
  const body = await request.clone().text();
  try {
    return await fetch(request);
  } catch (error) {
    // offline: keep it
  }
  await enqueue(url.pathname, body, request.headers.get("Content-Type"), "done");
  const next = new URLSearchParams(body).get("next") || "";
  const target = next.startsWith("/") && !next.startsWith("//") ? next : CONFIG.path;
  return Response.redirect(target, 303);
}

// Keep one answer (a form body posted to an answer URL) until it can be sent.
async function enqueue(path, body, type, kind) {
  const match = path.match(ANSWER) || [];
  const params = new URLSearchParams(body);
  if (!params.has("answered_at")) params.set("answered_at", new Date().toISOString());
  const entry = {
    url: path,
    body: params.toString(),
    type: type || "application/x-www-form-urlencoded",
    // The unique key: a lesson read twice offline is sent once.
    answer: kind === "done" ? "done:" + path : params.get("answer_id") || "",
    kind: kind || "answer",
    attempt: match[1] || "",
    item: match[2] || "",
    state: "pending",
  };
  try {
    await store("outbox", "readwrite", (outbox) => outbox.add(entry));
  } catch (error) {
    // the same answer_id is already waiting (a double tap): keep the first one
  }
  if (self.registration.sync) self.registration.sync.register("hocvu-answers").catch(() => {});
  return report([]);
}

function openDb() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open("hocvu", 2);
    open.onupgradeneeded = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains("outbox")) {
        const outbox = db.createObjectStore("outbox", { keyPath: "id", autoIncrement: true });
        outbox.createIndex("answer", "answer", { unique: true });
      }
      if (!db.objectStoreNames.contains("kept")) db.createObjectStore("kept", { keyPath: "module" });
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

async function store(name, mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(name, mode);
    const request = work(tx.objectStore(name));
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
  const entries = await store("outbox", "readonly", (outbox) => outbox.getAll());
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
      await store("outbox", "readwrite", (outbox) => outbox.delete(entry.id));
    } else if (FINAL.includes(response.status)) {
      entry.state = "failed";
      entry.status = response.status;
      await store("outbox", "readwrite", (outbox) => outbox.put(entry));
    } else {
      break; // not logged in, forbidden or server trouble: try again later
    }
    sent.push({ attempt: entry.attempt, item: entry.item, status: response.status });
  }
  return (await report(sent)).pending;
}

// Tell every open page what the outbox holds; resolves to that message.
async function report(sent) {
  const entries = await store("outbox", "readonly", (outbox) => outbox.getAll());
  const answers = entries.filter((e) => e.kind !== "done");
  const message = {
    type: "outbox",
    // The fields of each answer, so that a page reloaded from the device shows the choice.
    entries: answers.map((e) => ({ attempt: e.attempt, item: e.item, state: e.state, fields: fields(e.body) })),
    sent,
    pending: entries.filter((e) => e.state === "pending").length,
  };
  const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  pages.forEach((client) => client.postMessage(message));
  return message;
}

function fields(body) {
  const hidden = ["csrfmiddlewaretoken", "answer_id", "answered_at", "item", "seconds"];
  return [...new URLSearchParams(body)].filter(([name]) => !hidden.includes(name));
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
  const fail = () => reply(null);
  if (data.type === "sync") event.waitUntil(flush(data.csrf).then(reply, fail));
  else if (data.type === "status") event.waitUntil(report([]).then(reply, fail));
  else if (data.type === "queue" && ANSWER.test(new URL(data.url, self.location).pathname))
    event.waitUntil(
      enqueue(new URL(data.url, self.location).pathname, data.body, data.contentType)
        .then((message) => message.pending)
        .then(reply, fail),
    );
  else if (data.type === "keep" && data.module) event.waitUntil(keep(data.module).then(reply, fail));
  else if (data.type === "kept") event.waitUntil(store("kept", "readonly", (s) => s.getAll()).then(reply, fail));
  else if (data.type === "drop") event.waitUntil(drop(data.module).then(reply, fail));
  else if (data.type === "logout")
    event.waitUntil(
      Promise.all([forget(), store("outbox", "readwrite", (outbox) => outbox.clear())]).then(() => reply(0), fail),
    );
});

// Every start of the worker is a chance to send what waits.
flush().catch(() => {});
