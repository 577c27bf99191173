/* hocvu: the certification exam's countdown (the server enforces the time limit; this
 * only shows it and reloads the page when it runs out). */
(() => {
  const clock = document.getElementById("exam-clock");
  const out = document.getElementById("exam-remaining");
  if (!clock || !out) return;
  const end = Date.now() + 1000 * Number(clock.dataset.remaining || 0);
  const pad = (n) => String(n).padStart(2, "0");
  const tick = () => {
    const left = Math.max(0, Math.round((end - Date.now()) / 1000));
    out.textContent = pad(Math.floor(left / 60)) + ":" + pad(left % 60);
    if (left === 0) { window.location.reload(); return; }
    setTimeout(tick, 1000);
  };
  tick();
})();
