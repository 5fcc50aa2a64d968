/* The citizens' portal: small helpers over pages that work without them.
 * - a filter box for long selects (communes), rebuilding the options so it works on phones;
 * - the map pin (Leaflet, from the xstatic-leaflet package) writing the hidden coordinates;
 * - sector suggestions while the citizen types (debounced), a character counter, the chosen
 *   files, copy-the-link, and one submission at a time;
 * - only the chosen sector's extra fields shown (without the script every sector's group shows,
 *   each under its sector's name, and only the chosen one's is read).
 * Every text shown comes from the page's data-* attributes (already in the visitor's language).
 */
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase().trim();
  }

  /* -- a filter box in front of a select ---------------------------------------------------- */
  function filterable(input) {
    var select = byId(input.getAttribute("aria-controls"));
    if (!select) { return; }
    var all = Array.prototype.map.call(select.options, function (o) {
      return { value: o.value, text: o.text, key: fold(o.text) };
    });
    input.hidden = false;
    input.addEventListener("input", function () {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var chosen = select.value;
      while (select.options.length) { select.remove(0); }
      all.forEach(function (o) {
        var keep = o.value === "" || o.value === chosen || words.every(function (w) {
          return o.key.indexOf(w) !== -1;
        });
        if (keep) { select.add(new Option(o.text, o.value, false, o.value === chosen)); }
      });
      if (words.length && select.options.length === 2 && !chosen) { select.selectedIndex = 1; }
    });
  }

  /* -- sector suggestions and the counter --------------------------------------------------- */
  function suggestions(form) {
    var content = byId("content"), box = byId("sector-suggestions"), sector = byId("sector");
    var counter = byId("content-count");
    if (!content) { return; }
    var max = parseInt(content.getAttribute("data-max"), 10) || 0;
    var timer = null, last = "";
    function count() {
      if (!counter || !max) { return; }
      counter.hidden = false;
      counter.textContent = content.value.length + " / " + max;
      counter.classList.toggle("over", content.value.length > max);
    }
    function show(items) {
      box.textContent = "";
      if (!items.length) { box.hidden = true; return; }
      var label = document.createElement("span");
      label.textContent = form.getAttribute("data-msg-suggest") + " ";
      box.appendChild(label);
      items.forEach(function (item) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "chip";
        button.setAttribute("data-testid", "sector-suggestion");
        button.setAttribute("data-sector", item.sector);
        button.textContent = item.name;
        button.addEventListener("click", function () {
          sector.value = item.sector;
          sector.dispatchEvent(new Event("change"));
        });
        box.appendChild(button);
      });
      box.hidden = false;
    }
    function ask() {
      var text = content.value.trim();
      if (text === last) { return; }
      last = text;
      if (text.length < 8) { show([]); return; }
      var url = form.getAttribute("data-suggest-url") + "?text=" + encodeURIComponent(text.slice(0, 2000));
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (data) { show(data.suggestions || []); })
        .catch(function () { show([]); });
    }
    content.addEventListener("input", function () {
      count();
      clearTimeout(timer);
      timer = setTimeout(ask, 600);
    });
    count();
    if (content.value.trim()) { ask(); }
  }

  /* -- the chosen sector's extra fields ---------------------------------------------------- */
  function sectorFields() {
    var sector = byId("sector");
    var groups = document.querySelectorAll("fieldset.sector-fields[data-sector]");
    if (!sector || !groups.length) { return; }
    function show() {
      Array.prototype.forEach.call(groups, function (group) {
        group.hidden = group.getAttribute("data-sector") !== sector.value;
      });
    }
    Array.prototype.forEach.call(document.querySelectorAll(".sector-fields-hint"), function (hint) {
      hint.hidden = true;  // the group is only shown for its sector
    });
    sector.addEventListener("change", show);
    show();
  }

  /* -- the map pin -------------------------------------------------------------------------- */
  function map() {
    var element = byId("map"), lat = byId("latitude"), lng = byId("longitude");
    var status = byId("map-status");
    if (!element || !lat || !lng || typeof window.L === "undefined") { return; }
    var L = window.L, d = element.dataset;
    element.hidden = false;
    byId("map-actions").hidden = false;
    var view = L.map(element, { scrollWheelZoom: false }).setView([+d.lat, +d.lng], +d.zoom || 9);
    var box = null;
    if (d.bounds) {
      var b = d.bounds.split(",").map(Number);
      box = L.latLngBounds([b[0], b[1]], [b[2], b[3]]);
      L.rectangle(box, { weight: 1, fill: false, interactive: false }).addTo(view);
    }
    if (d.tileUrl) {
      var failed = 0;
      L.tileLayer(d.tileUrl, { attribution: d.attribution, maxZoom: 19 })
        .on("tileerror", function () {
          failed += 1;
          if (failed === 3 && !lat.value) { status.textContent = d.msgNotiles; }
        })
        .addTo(view);
    } else {
      status.textContent = d.msgNotiles;
    }
    var marker = null;
    function say(point) {
      status.textContent = point ? d.msgChosen + " " + point.lat.toFixed(5) + ", " + point.lng.toFixed(5) : d.msgNone;
    }
    function place(point, quiet) {
      if (box && !box.contains(point)) { status.textContent = d.msgOutside; return; }
      lat.value = point.lat.toFixed(6);
      lng.value = point.lng.toFixed(6);
      if (!marker) {
        marker = L.marker(point, { draggable: true, keyboard: true }).addTo(view);
        marker.on("dragend", function () { place(marker.getLatLng()); });
      } else {
        marker.setLatLng(point);
      }
      if (!quiet) { say(point); }
    }
    view.on("click", function (e) { place(e.latlng); });
    if (lat.value && lng.value && !isNaN(+lat.value) && !isNaN(+lng.value)) {
      var start = L.latLng(+lat.value, +lng.value);
      place(start, true);
      view.setView(start, 15);
    }
    byId("map-clear").addEventListener("click", function () {
      lat.value = ""; lng.value = "";
      if (marker) { view.removeLayer(marker); marker = null; }
      say(null);
    });
    var locate = byId("map-locate");
    if (!navigator.geolocation) { locate.hidden = true; }
    locate.addEventListener("click", function () {
      status.textContent = d.msgLocating;
      navigator.geolocation.getCurrentPosition(function (p) {
        var point = L.latLng(p.coords.latitude, p.coords.longitude);
        place(point);
        view.setView(point, 16);
      }, function () { status.textContent = d.msgNolocation; }, { enableHighAccuracy: true, timeout: 15000 });
    });
  }

  /* -- the chosen files --------------------------------------------------------------------- */
  /* A size as the server writes it (engine.media.model.human_size): 850 byte, 10 KB, 1,5 MB. */
  function sizeText(bytes) {
    var vi = (document.documentElement.lang || "vi").slice(0, 2) !== "en", text;
    if (bytes < 1024) { return bytes + (vi ? " byte" : " bytes"); }
    text = bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : (bytes / 1024).toFixed(1) + " KB";
    text = text.replace(".0 ", " ");
    return vi ? text.replace(".", ",") : text;
  }

  function files() {
    var inputs = [byId("camera"), byId("files")].filter(Boolean), list = byId("files-list");
    if (!inputs.length || !list) { return; }
    var max = parseInt(byId("files").getAttribute("data-max"), 10) || 0;
    function show() {
      list.textContent = "";
      var count = 0;
      inputs.forEach(function (input) {
        Array.prototype.forEach.call(input.files || [], function (f) {
          count += 1;
          var item = document.createElement("li");
          item.textContent = f.name + " (" + sizeText(f.size) + ")";
          list.appendChild(item);
        });
      });
      if (max && count > max) {
        var warn = document.createElement("li");
        warn.className = "errors";
        warn.textContent = list.getAttribute("data-msg-too-many");
        list.appendChild(warn);
      }
    }
    inputs.forEach(function (input) { input.addEventListener("change", show); });
  }

  /* -- one submission at a time ------------------------------------------------------------- */
  function once(form) {
    form.addEventListener("submit", function () {
      var button = byId("submit-report");
      if (!button) { return; }
      setTimeout(function () {
        button.disabled = true;
        button.textContent = form.getAttribute("data-msg-sending");
      }, 0);
    });
  }

  function copy() {
    var button = byId("copy-link");
    if (!button) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var link = button.getAttribute("data-link");
      var done = function () { byId("copy-status").textContent = button.getAttribute("data-msg-copied"); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(link).then(done, function () {});
      } else {
        var range = document.createRange();
        range.selectNodeContents(byId("tracking-link"));
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        try { document.execCommand("copy"); done(); } catch (e) { /* the link stays selected */ }
      }
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("input.filter[aria-controls]"), filterable);
    var form = byId("report-form");
    if (form) {
      suggestions(form);
      sectorFields();
      map();
      files();
      once(form);
      form.setAttribute("data-live", "on");  /* the page's behaviours are in place */
    }
    copy();
    var summary = byId("error-summary");
    if (summary) { summary.focus(); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
