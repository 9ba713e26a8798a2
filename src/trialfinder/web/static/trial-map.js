// The map of a trial's research sites. The list of sites below the map is the real content:
// when Leaflet or the tiles cannot load, the markers still show their places, or nothing does.
(function () {
  "use strict";
  function init() {
    var element = document.getElementById("site-map");
    if (!element || typeof L === "undefined") {
      return;
    }
    var points = JSON.parse(element.getAttribute("data-sites") || "[]");
    if (!points.length) {
      return;
    }
    element.hidden = false;
    var map = L.map(element, { scrollWheelZoom: false });
    var tileUrl = element.getAttribute("data-tile-url");
    if (tileUrl) {
      L.tileLayer(tileUrl, {
        maxZoom: 18,
        attribution: element.getAttribute("data-attribution") || ""
      }).addTo(map);
    } else {
      element.classList.add("no-tiles");
    }
    var bounds = [];
    points.forEach(function (point) {
      var marker = L.marker([point.lat, point.lon], { title: point.name, alt: point.name });
      var link = document.createElement("a");
      link.href = point.url;
      link.textContent = point.name;
      marker.bindPopup(link);
      marker.addTo(map);
      bounds.push([point.lat, point.lon]);
    });
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 10 });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
