/* hocvu: installs the service worker, shows the outbox of answers and the modules kept on
 * the device (docs/offline.md). Texts come from the page (data attributes rendered and
 * translated by Django). */
(() => {
  "use strict";
  const sw = navigator.serviceWorker;
  const script = document.currentScript;
  if (!sw || !script) {
    const unavailable = document.getElementById("kept-unavailable");
    if (unavailable) unavailable.hidden = false;
    return;
  }
  sw.register(script.dataset.sw).catch(() => {});

  const $ = (selector, root) => (root || document).querySelector(selector);
  const token = () => ($("[name=csrfmiddlewaretoken]") || {}).value;
  const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (_, key) => values[key]);
  const lang = document.documentElement.lang || "vi";
  const size = (bytes) =>
    bytes < 1024 * 1024
      ? Math.max(1, Math.round(bytes / 1024)).toLocaleString(lang) + " KB"
      : (bytes / 1024 / 1024).toLocaleString(lang, { maximumFractionDigits: 1 }) + " MB";
  // Ask the active worker something; null when it does not answer in time.
  const ask = (message, wait) =>
    new Promise((resolve) => {
      setTimeout(resolve, wait || 4000, null);
      sw.getRegistration().then((reg) => {
        if (!reg || !reg.active) return resolve(null);
        const channel = new MessageChannel();
        channel.port1.onmessage = (event) => resolve(event.data);
        reg.active.postMessage(message, [channel.port2]);
      }, () => resolve(null));
    });
  // Send what waits; while answers remain (the network is back but the server is not
  // reachable yet, or the session ended), try again after 1, 2, 4 ... 60 seconds.
  let timer = 0;
  let delay = 1000;
  const sync = () => {
    clearTimeout(timer);
    if (!navigator.onLine) return;
    ask({ type: "sync", csrf: token() }).then((pending) => {
      delay = pending ? Math.min(2 * delay, 60000) : 1000;
      if (pending) timer = setTimeout(sync, delay / 2);
    });
  };

  // ---- Practice page: queued answers and the note that counts them ----
  const note = $("#offline-note");
  const attempt = note && note.dataset.attempt;

  // Lock a card whose answer waits on the device; ``fields`` ([name, value] pairs of the
  // answer kept) put the choice back on a page reloaded from the device.
  function markQueued(card, fields) {
    const form = $("form", card);
    if (!form || card.dataset.queued) return;
    card.dataset.queued = "1";
    (fields || []).forEach(([name, value]) =>
      form.querySelectorAll("[name]").forEach((el) => {
        if (el.name !== name) return;
        if (el.type === "radio" || el.type === "checkbox") el.checked = el.checked || el.value === value;
        else el.value = value;
      }),
    );
    form.querySelectorAll("input, select, button").forEach((el) => (el.disabled = true));
    const line = $("button", form).parentNode;
    line.className = "feedback queued";
    line.setAttribute("role", "status");
    line.textContent = note.dataset.queued;
  }

  // ``outbox``: the worker's message {entries, sent}; anything else (no worker) is ignored.
  function show(outbox) {
    if (!note || !outbox || !Array.isArray(outbox.entries)) return;
    const mine = outbox.entries.filter((e) => e.attempt === attempt);
    const pending = outbox.entries.filter((e) => e.state === "pending").length;
    const failed = mine.filter((e) => e.state === "failed").length;
    mine.forEach((e) => {
      const card = document.getElementById("q-" + e.item);
      if (card && e.state === "pending") markQueued(card, e.fields);
    });
    $("[data-offline]", note).hidden = navigator.onLine;
    $("[data-pending]", note).hidden = !pending;
    $("[data-pending] b", note).textContent = pending;
    $("[data-failed]", note).hidden = !failed;
    $("[data-failed] b", note).textContent = failed;
    note.hidden = navigator.onLine && !pending && !failed;
    if ((outbox.sent || []).some((e) => e.attempt === attempt)) refresh();
  }

  // Replace the cards of answers just sent (and any the server has answered since this
  // copy of the page was made) with the server's feedback; a card waiting stays waiting.
  async function refresh() {
    let response;
    try {
      response = await fetch(location.pathname, { headers: { Accept: "text/html" } });
    } catch (error) {
      return; // not reachable yet
    }
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    document.querySelectorAll("section.question").forEach((card) => {
      const next = fresh.getElementById(card.id);
      if (!next || $("[data-queued]", next) || $("form", next)) return;
      if (card.dataset.queued || $("form", card)) card.replaceWith(document.adoptNode(next));
    });
    for (const id of ["practice-progress", "practice-result"]) {
      const next = fresh.getElementById(id);
      const old = document.getElementById(id);
      if (next && old) old.replaceWith(document.adoptNode(next));
    }
    if (window.htmx) window.htmx.process(document.body);
  }

  // The result of a finished set arrives with the last answer (out of band): bring it into
  // view when that answer was not the last card on the page.
  document.addEventListener("htmx:oobAfterSwap", (event) => {
    const target = event.detail.target;
    if (target && target.id === "practice-result" && target.firstElementChild)
      target.scrollIntoView({ block: "nearest" });
  });

  if (note) {
    sw.addEventListener("message", (event) => event.data.type === "outbox" && show(event.data));
    // The answer did not reach the server (answers go straight to the network, see sw.js):
    // hand it to the worker's outbox and keep the question on screen.
    const keepAnswer = (form, card) => {
      const body = new URLSearchParams(new FormData(form)).toString();
      const message = { type: "queue", url: form.action, body, contentType: "application/x-www-form-urlencoded" };
      return ask(message).then((pending) => {
        if (pending === null) return false; // no worker: nothing can be kept
        markQueued(card);
        return ask({ type: "status" }).then(show);
      });
    };
    document.addEventListener("htmx:sendError", (event) => {
      const form = event.detail.elt;
      if (form && form.matches("form[data-offline-queue]")) keepAnswer(form, event.detail.target);
    });
    document.addEventListener("htmx:beforeSwap", (event) => {
      const xhr = event.detail.xhr;
      if (xhr.status === 400) {
        // A refused answer carries its message: show it in place of the question.
        event.detail.shouldSwap = true;
        event.detail.isError = false;
        return;
      }
      const form = event.detail.requestConfig && event.detail.requestConfig.elt;
      if ([502, 503, 504].includes(xhr.status) && form && form.matches("form[data-offline-queue]")) {
        event.detail.shouldSwap = false;
        event.detail.isError = false;
        keepAnswer(form, event.detail.target);
        return;
      }
      if (xhr.status !== 202 || !xhr.getResponseHeader("X-Hocvu-Queued")) return;
      event.detail.shouldSwap = false; // keep the question and the choice on screen
      markQueued(event.detail.target);
    });
    addEventListener("offline", () => ask({ type: "status" }).then(show));
    // Back online: a copy of the page kept on the device may be older than the server's.
    addEventListener("online", () => refresh());
    ask({ type: "status" }).then(show);
  }
  addEventListener("online", sync);
  sync();

  // ---- Logging out: nothing of this person stays on the device ----
  document.querySelectorAll("form[data-logout]").forEach((form) =>
    form.addEventListener("submit", async (event) => {
      if (!navigator.onLine) return; // the server cannot be told; keep everything
      event.preventDefault();
      const pending = await ask({ type: "sync", csrf: token() });
      if (pending && !confirm(form.dataset.logout)) return;
      await ask({ type: "logout" });
      form.submit();
    }),
  );

  // ---- Path page: keep a module for offline use; practise a kept one offline ----
  const texts = $(".keep-texts");
  const kept = ask({ type: "kept" }).then((records) => (Array.isArray(records) ? records : []));
  if (texts) {
    texts.hidden = false;
    document.querySelectorAll("form[data-keep]").forEach((form) => {
      const button = $("button", form);
      const status = $("[role=status]", form);
      form.hidden = false;
      kept.then((records) => {
        const record = records.find((r) => String(r.module) === form.dataset.keep);
        if (record) {
          status.textContent = fill(texts.dataset.kept, { size: size(record.bytes) });
          button.textContent = texts.dataset.again;
        }
      });
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        button.disabled = true;
        status.textContent = texts.dataset.saving;
        let record = null;
        try {
          const response = await fetch(form.action, {
            method: "POST",
            body: new URLSearchParams(new FormData(form)),
            credentials: "same-origin",
          });
          if (response.ok) record = await ask({ type: "keep", module: await response.json() }, 120000);
        } catch (error) {
          record = null; // offline
        }
        button.disabled = false;
        if (record) {
          if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
          status.textContent = fill(texts.dataset.kept, { size: size(record.bytes) });
          button.textContent = texts.dataset.again;
        } else status.textContent = texts.dataset.failed;
      });
    });
    document.querySelectorAll("form[data-practice-module]").forEach((form) =>
      form.addEventListener("submit", (event) => {
        if (navigator.onLine) return;
        // Offline a new set cannot be drawn: open the one kept with the module.
        event.preventDefault();
        kept.then((records) => {
          const record = records.find((r) => String(r.module) === form.dataset.practiceModule);
          location.href = record && record.practice ? record.practice : form.action;
        });
      }),
    );
  }

  // ---- "On this device": the kept modules, their size and the space used ----
  const box = $("#kept");
  if (box) {
    const list = $("#kept-modules");
    const render = (records) => {
      list.textContent = "";
      $("#kept-empty").hidden = records.length > 0;
      for (const record of records) {
        const item = list.appendChild(document.createElement("li"));
        item.className = "card";
        const title = item.appendChild(document.createElement("h2"));
        const open = title.appendChild(document.createElement("a"));
        open.href = record.start;
        open.textContent = record.title;
        const facts = item.appendChild(document.createElement("p"));
        facts.className = "muted";
        const saved = new Date(record.saved).toLocaleDateString(lang);
        facts.textContent =
          fill(box.dataset.size, { size: size(record.bytes) }) + " · " + fill(box.dataset.saved, { date: saved });
        const actions = item.appendChild(document.createElement("p"));
        if (record.practice) {
          const practise = actions.appendChild(document.createElement("a"));
          practise.href = record.practice;
          practise.className = "button secondary";
          practise.textContent = box.dataset.practice;
          actions.append(" ");
        }
        const remove = actions.appendChild(document.createElement("button"));
        remove.type = "button";
        remove.className = "secondary";
        remove.textContent = box.dataset.remove;
        remove.addEventListener("click", async () => {
          remove.disabled = true;
          await ask({ type: "drop", module: record.module });
          load();
        });
      }
    };
    const estimate = async () => {
      if (!navigator.storage || !navigator.storage.estimate) return;
      const { usage, quota } = await navigator.storage.estimate();
      const line = $("#storage-estimate");
      line.textContent = fill(box.dataset.usage, { used: size(usage || 0), quota: size(quota || 0) });
      line.hidden = false;
    };
    const load = () =>
      ask({ type: "kept" }).then((records) => {
        render(Array.isArray(records) ? records : []);
        estimate();
      });
    sw.ready.then(load);
  }

  // ---- Offline page: the modules and lessons kept on this device ----
  const links = $("#kept-links");
  if (links)
    kept.then((records) => {
      for (const record of records) {
        const link = document.createElement("a");
        link.href = record.start;
        link.textContent = record.title;
        links.appendChild(document.createElement("li")).appendChild(link);
        links.parentNode.hidden = false;
      }
    });
  const lessons = $("#saved-lessons");
  if (lessons && window.caches)
    caches.open("hocvu-pages").then(async (cache) => {
      for (const request of await cache.keys()) {
        if (!/\/learn\/lessons\/\d+\/$/.test(request.url)) continue;
        const html = await (await cache.match(request)).text();
        const title = new DOMParser().parseFromString(html, "text/html").title;
        const link = document.createElement("a");
        link.href = request.url;
        link.textContent = title.split(" · ")[0];
        lessons.appendChild(document.createElement("li")).appendChild(link);
        lessons.parentNode.hidden = false;
      }
    });
})();
