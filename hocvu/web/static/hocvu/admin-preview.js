/* hocvu admin: live Markdown preview beside a lesson revision's body. */
(function () {
  "use strict";
  var body = document.getElementById("id_body");
  var pane = document.getElementById("hocvu-preview");
  if (!body || !pane || !window.fetch) { return; }
  var split = document.createElement("div");
  split.className = "hocvu-split";
  body.parentNode.insertBefore(split, body);
  split.appendChild(body);
  split.appendChild(pane);
  var target = pane.querySelector(".hocvu-preview-body");
  var token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  var timer = null;
  var sent = 0;
  function refresh() {
    var data = new FormData();
    data.append("body", body.value);
    var mine = ++sent;
    fetch(pane.dataset.url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token }
    }).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.text();
    }).then(function (html) {
      if (mine === sent) { target.innerHTML = html; }  // the server escaped raw HTML
    }).catch(function () {});
  }
  body.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 300);
  });
})();
