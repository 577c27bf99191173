/* hocvu: installs the service worker and shows the outbox of answers (docs/offline.md).
 * Texts come from the page (data attributes rendered and translated by Django). */
(() => {
  "use strict";
  const sw = navigator.serviceWorker;
  const script = document.currentScript;
  if (!sw || !script) return;
  sw.register(script.dataset.sw).catch(() => {});

  const $ = (selector, root) => (root || document).querySelector(selector);
  const token = () => ($("[name=csrfmiddlewaretoken]") || {}).value;
  // Ask the active worker something; null when it does not answer in time.
  const ask = (message) =>
    new Promise((resolve) => {
      setTimeout(resolve, 4000, null);
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

  function markQueued(card) {
    const form = $("form", card);
    if (!form || card.dataset.queued) return;
    card.dataset.queued = "1";
    form.querySelectorAll("input, select, button").forEach((el) => (el.disabled = true));
    const line = $("button", form).parentNode;
    line.className = "feedback queued";
    line.setAttribute("role", "status");
    line.textContent = note.dataset.queued;
  }

  function show(outbox) {
    if (!note || !outbox) return;
    const mine = outbox.entries.filter((e) => e.attempt === attempt);
    const pending = outbox.entries.filter((e) => e.state === "pending").length;
    const failed = mine.filter((e) => e.state === "failed").length;
    mine.forEach((e) => {
      const card = document.getElementById("q-" + e.item);
      if (card && e.state === "pending") markQueued(card);
    });
    $("[data-offline]", note).hidden = navigator.onLine;
    $("[data-pending]", note).hidden = !pending;
    $("[data-pending] b", note).textContent = pending;
    $("[data-failed]", note).hidden = !failed;
    $("[data-failed] b", note).textContent = failed;
    note.hidden = navigator.onLine && !pending && !failed;
    if (outbox.sent.some((e) => e.attempt === attempt)) refresh();
  }

  // Replace the cards of answers just sent with the server's feedback.
  async function refresh() {
    const response = await fetch(location.pathname, { headers: { Accept: "text/html" } });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    document.querySelectorAll("section[data-queued]").forEach((card) => {
      const next = fresh.getElementById(card.id);
      if (next && !$("[data-queued]", next)) card.replaceWith(document.adoptNode(next));
    });
    for (const id of ["practice-progress", "practice-result"]) {
      const next = fresh.getElementById(id);
      const old = document.getElementById(id);
      if (next && old) old.replaceWith(next);
      else if (next) [...document.querySelectorAll("section.question")].pop().after(next);
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
    const keep = (form, card) => {
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
      if (form && form.matches("form[data-offline-queue]")) keep(form, event.detail.target);
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
        keep(form, event.detail.target);
        return;
      }
      if (xhr.status !== 202 || !xhr.getResponseHeader("X-Hocvu-Queued")) return;
      event.detail.shouldSwap = false; // keep the question and the choice on screen
      markQueued(event.detail.target);
    });
    addEventListener("offline", () => ask({ type: "status" }).then(show));
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

  // ---- Offline page: the lessons kept on this device ----
  const list = $("#saved-lessons");
  if (list && window.caches)
    caches.open("hocvu-pages").then(async (cache) => {
      for (const request of await cache.keys()) {
        if (!/\/learn\/lessons\/\d+\/$/.test(request.url)) continue;
        const html = await (await cache.match(request)).text();
        const title = new DOMParser().parseFromString(html, "text/html").title;
        const link = document.createElement("a");
        link.href = request.url;
        link.textContent = title.split(" · ")[0];
        list.appendChild(document.createElement("li")).appendChild(link);
        list.parentNode.hidden = false;
      }
    });
})();
