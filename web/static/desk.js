/* The processing desk's only script: the report's place on a map (Leaflet, from the
 * xstatic-leaflet package served at /leaflet/). Everything else works without JavaScript. */
(function () {
  "use strict";
  function map() {
    var element = document.getElementById("report-map");
    if (!element || typeof window.L === "undefined") { return; }
    var L = window.L, d = element.dataset, point = [+d.lat, +d.lng];
    element.hidden = false;
    var view = L.map(element, { scrollWheelZoom: false }).setView(point, 16);
    if (d.tileUrl) {
      L.tileLayer(d.tileUrl, { attribution: d.attribution, maxZoom: 19 }).addTo(view);
    }
    L.marker(point, { keyboard: false }).addTo(view);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", map);
  } else {
    map();
  }
})();
