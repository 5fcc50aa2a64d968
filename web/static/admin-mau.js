/* The template editor's live preview (/admin/mau/sua): after a pause in typing, the text is sent
 * to the sandbox (POST /admin/mau/xem-truoc) and the answer replaces the preview — the rendered
 * text, or the line and message of the error. A file, not an inline script, so that the pages'
 * content policy (script-src 'self') allows it; without JavaScript the "Xem trước" button does
 * the same through the form. */
(function () {
  "use strict";
  var DELAY = 400;
  function start() {
    var form = document.getElementById("form-mau");
    var area = document.getElementById("noi_dung");
    var output = document.getElementById("preview-output");
    var error = document.getElementById("preview-error");
    if (!form || !area || !output || !error || !window.fetch) { return; }
    var url = form.getAttribute("data-xem-truoc");
    var timer = null, sent = 0;
    function show(answer) {
      if (typeof answer.output === "string") {
        output.textContent = answer.output;
        output.hidden = false;
        error.hidden = true;
        area.classList.remove("is-invalid");
      } else {
        error.textContent = "Dòng " + answer.line + ": " + answer.message;
        error.hidden = false;
        output.hidden = true;
      }
    }
    function ask() {
      var body = new FormData();
      body.append("ten", form.elements.ten.value);
      body.append("noi_dung", area.value);
      body.append("csrf_token", form.elements.csrf_token.value);
      var mine = ++sent;
      fetch(url, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (answer) { if (answer && mine === sent) { show(answer); } })
        .catch(function () { /* the button still works */ });
    }
    area.addEventListener("input", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(ask, DELAY);
    });
    form.setAttribute("data-live", "on");  /* the preview follows the typing from now on */
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
