/* hocvu: the certification exam pages (exam, review, submit).
 *
 * - The clock shows the server's time left (data-remaining, reset by every reply) and
 *   reloads the page when it runs out: the server closes the exam and shows the result.
 * - On the exam page, an answer is saved as it is chosen and a flag as it is set: one small
 *   POST each (JSON reply). Writes wait in localStorage, in order, while the connection is
 *   gone or the server cannot be reached, and are sent when it returns; each is
 *   idempotent (an answer carries its own answer_id and the time it was chosen, on the
 *   server's clock), so sending one twice changes nothing and an older choice never
 *   overwrites a newer one.
 * - Review and submit wait until every write has reached the server.
 * Texts come from the page (data-t-* attributes, translated by Django). Without this
 * script the page is a plain form whose buttons save every answer on it. */
(() => {
  "use strict";
  // The result page: the exam is over, nothing of it stays on the device.
  const script = document.currentScript;
  if (script && script.dataset.done) localStorage.removeItem("hocvu-exam:" + script.dataset.done);
  const bar = document.getElementById("exam-clock");
  if (!bar) return;
  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => [...(root || document).querySelectorAll(selector)];
  const text = (name) => bar.dataset["t" + name[0].toUpperCase() + name.slice(1)] || "";
  const attempt = bar.dataset.attempt;
  const KEY = "hocvu-exam:" + attempt;
  const note = $("#exam-note");
  const form = $("#exam-form");
  // The server's clock, as well as the page can tell (the reply's latency aside).
  const offset = Number(bar.dataset.serverMs || Date.now()) - Date.now();

  // ---- The clock ----
  const out = $("#exam-remaining");
  let end = Date.now() + 1000 * Number(bar.dataset.remaining || 0);
  let timeUp = false;
  const pad = (n) => String(n).padStart(2, "0");
  const setRemaining = (seconds) => {
    end = Date.now() + 1000 * Number(seconds);
  };
  const tick = () => {
    const left = Math.max(0, Math.round((end - Date.now()) / 1000));
    out.textContent = pad(Math.floor(left / 60)) + ":" + pad(left % 60);
    bar.classList.toggle("low", left < 300);
    if (left === 0) {
      timeUp = true;
      say(text("timeup"));
      if (navigator.onLine) finish();
      return;
    }
    setTimeout(tick, 1000);
  };

  // ---- The queue of writes (localStorage, shared by the tabs of this exam) ----
  const load = () => {
    try {
      return JSON.parse(localStorage.getItem(KEY) || "[]");
    } catch (error) {
      return [];
    }
  };
  const save = (ops) => {
    if (ops.length) localStorage.setItem(KEY, JSON.stringify(ops));
    else localStorage.removeItem(KEY);
  };
  const uuid = () => {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  };
  const token = () => ($("[name=csrfmiddlewaretoken]") || {}).value || "";

  let sending = null; // the id of the write on its way
  let retry = 0;
  let delay = 1000;
  let stopped = ""; // why sending stopped for good on this page (a text), if it did
  let leaving = false; // on the way to the result page

  // Time is up by the page's clock: what waits is still offered (the server decides
  // whether it arrived in time), then the page reloads and the server shows the result.
  function finish() {
    flush().then(() => leaving || window.location.reload());
  }

  function enqueue(op) {
    // A newer answer to the same question replaces one still waiting (not one on its way).
    const ops = load().filter(
      (o) => !(op.kind === "answer" && o.kind === "answer" && o.item === op.item && o.id !== sending),
    );
    ops.push(op);
    save(ops);
    show();
    flush();
  }

  function drop(id) {
    save(load().filter((o) => o.id !== id));
  }

  // One run at a time; every caller gets the promise of the run under way.
  let running = null;
  function flush() {
    if (!running)
      running = send().finally(() => {
        running = null;
      });
    return running;
  }

  async function send() {
    if (stopped || leaving) return;
    clearTimeout(retry);
    for (;;) {
      const op = load()[0];
      if (!op) break;
      sending = op.id;
      status(op.item, "saving");
      let response = null;
      try {
        response = await fetch(op.url, {
          method: "POST",
          body: op.body + "&csrfmiddlewaretoken=" + encodeURIComponent(token()),
          headers: {
            Accept: "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
          },
          credentials: "same-origin",
          redirect: "manual",
        });
      } catch (error) {
        response = null; // offline, or the connection dropped: keep it
      }
      sending = null;
      if (!response || response.status >= 500) {
        if (navigator.onLine) {
          retry = setTimeout(flush, delay);
          delay = Math.min(2 * delay, 30000);
        }
        break;
      }
      delay = 1000;
      if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
        stopped = text("login"); // logged out: the writes wait for the next login
        break;
      }
      let body = {};
      try {
        body = await response.json();
      } catch (error) {
        body = {};
      }
      if (response.status === 409 && body.result) {
        // Submitted, or the deadline passed (the server's clock): it is over.
        save([]);
        leaving = true;
        window.location.assign(body.result);
        return;
      }
      drop(op.id);
      if (response.ok) {
        if (op.kind === "answer") answered.add(op.item);
        if (typeof body.remaining === "number") setRemaining(body.remaining);
      } else {
        failed.set(op.item, body.detail || String(response.status));
        if (op.kind === "answer") answered.delete(op.item);
      }
    }
    show();
  }

  // ---- What the page shows ----
  const answered = new Set(); // questions whose answer the server has
  const failed = new Map(); // question -> the server's refusal

  function say(message) {
    if (!note) return;
    note.textContent = message;
    note.hidden = !message;
  }

  function status(item, state, detail) {
    const card = document.getElementById("q-" + item);
    const line = card && $(".qstatus", card);
    if (!line) return;
    if (line.classList.contains(state) && state !== "error") return; // nothing new to say
    line.className = "qstatus " + state;
    line.setAttribute("role", state === "error" ? "alert" : "status");
    line.textContent =
      state === "error" ? detail : state === "queued" ? text("queued") : text(state);
  }

  function show() {
    const ops = load();
    const waiting = new Set(ops.map((o) => o.item));
    if (form) {
      $$("section.question", form).forEach((card) => {
        const item = card.dataset.item;
        if (failed.has(item) && !waiting.has(item)) status(item, "error", failed.get(item));
        else if (waiting.has(item))
          status(item, navigator.onLine && !stopped ? "saving" : "queued");
        else if (answered.has(item)) status(item, "saved");
        else status(item, "open");
      });
      const mine = new Set(answered);
      ops.forEach((o) => o.kind === "answer" && mine.add(o.item));
      const count = $("#exam-progress");
      if (count)
        count.textContent = text("answered")
          .replace("__D__", mine.size)
          .replace("__T__", $$("section.question", form).length);
    }
    if (timeUp) return;
    if (stopped) say(stopped);
    else if (!navigator.onLine) say(text("offline") + (ops.length ? " " + text("pending") + " " + ops.length : ""));
    else if (ops.length && !form) say(text("pending") + " " + ops.length);
    else say("");
  }

  // ---- The exam page: save as chosen, flag, leave for the review only when all is sent ----
  function fieldsOf(card) {
    const prefix = card.dataset.item + "-";
    const params = new URLSearchParams();
    let blank = true;
    let partial = false;
    for (const [name, value] of new FormData(form)) {
      if (!name.startsWith(prefix)) continue;
      params.append(name.slice(prefix.length), value);
      if (String(value).trim()) blank = false;
      else if (name.slice(prefix.length).startsWith("pos")) partial = true;
    }
    return blank || partial ? null : params;
  }

  function answer(card) {
    const params = fieldsOf(card);
    if (!params) return; // nothing chosen yet (or an order not complete): nothing to save
    const id = uuid();
    params.set("item", card.dataset.item);
    params.set("answer_id", id);
    params.set("answered_at", new Date(Date.now() + offset).toISOString());
    failed.delete(card.dataset.item);
    enqueue({ id, kind: "answer", item: card.dataset.item, url: card.dataset.answerUrl, body: params.toString() });
  }

  function setFlag(card, flagged) {
    const button = $("button.flag", card);
    card.classList.toggle("flagged", flagged);
    $(".flag-mark", card).hidden = !flagged;
    button.setAttribute("aria-pressed", String(flagged));
    button.name = flagged ? "unflag" : "flag";
    button.textContent = flagged ? text("unflag") : text("flag");
  }

  // What waits on this device is what the learner last chose: show it so (after a reload).
  function restore() {
    for (const op of load()) {
      const card = document.getElementById("q-" + op.item);
      if (!card) continue;
      const params = new URLSearchParams(op.body);
      if (op.kind === "flag") {
        setFlag(card, params.get("flagged") === "1");
        continue;
      }
      const prefix = op.item + "-";
      $$("input, select", card).forEach((el) => {
        if (!el.name.startsWith(prefix)) return;
        const values = params.getAll(el.name.slice(prefix.length));
        if (el.type === "radio" || el.type === "checkbox") el.checked = values.includes(el.value);
        else el.value = values[0] || "";
      });
    }
  }

  if (form) {
    form.classList.add("js");
    $$("section.question", form).forEach((card) => {
      if ($(".qstatus.saved", card)) answered.add(card.dataset.item);
    });
    restore();
    form.addEventListener("change", (event) => {
      const card = event.target.closest("section.question");
      if (card && event.target.name && event.target.name.startsWith(card.dataset.item + "-")) answer(card);
    });
    form.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.target.tagName !== "INPUT") return;
      event.preventDefault(); // Enter saves this answer, it does not send the whole form
      event.target.blur();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const button = event.submitter;
      if (!button) return;
      if (button.classList.contains("flag")) {
        const card = button.closest("section.question");
        const flagged = button.name === "flag";
        setFlag(card, flagged);
        const id = uuid();
        enqueue({ id, kind: "flag", item: card.dataset.item, url: card.dataset.flagUrl, body: "flagged=" + (flagged ? 1 : 0) });
      } else if (button.dataset.review) {
        leave(button.dataset.review);
      }
    });
  }

  // Go on (to the review, to submitting) only once the server has every answer.
  async function leave(url) {
    await flush();
    if (load().length) {
      say(text("hold"));
      return false;
    }
    if (url) window.location.assign(url);
    return true;
  }

  $$("a[data-leave]").forEach((link) =>
    link.addEventListener("click", (event) => {
      if (!load().length) return;
      event.preventDefault();
      leave(link.href);
    }),
  );
  $$("form[action$='/submit/']").forEach((f) =>
    f.addEventListener("submit", (event) => {
      if (!load().length) return;
      event.preventDefault();
      say(text("hold"));
      flush().then(() => load().length || window.location.reload());
    }),
  );

  addEventListener("online", () => {
    if (timeUp) return finish();
    flush().then(() => {
      // The review and submit pages count what the server has: refresh them once sent.
      if (!form && !load().length && pendingAtLoad) window.location.reload();
    });
    show();
  });
  addEventListener("offline", show);
  // Another tab of the same exam changed the queue.
  addEventListener("storage", (event) => event.key === KEY && show());

  const pendingAtLoad = load().length > 0;
  tick();
  show();
  flush().then(() => {
    if (!form && pendingAtLoad && !load().length) window.location.reload();
  });
})();
