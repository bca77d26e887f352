/* geoplan map runtime: decodes geoplan's compact layer encoding into Leaflet layers.
 *
 * A layer spec (written by geoplan/maps/_encode.py) holds coordinates quantised to 1e-6 degree
 * (1e-5 for large layers: "q" quanta a degree) as one flat array of (dx, dy) deltas ("d"), the nesting as counts ("g": parts per feature,
 * "p": rings per polygon part, "r": points per ring or line part), a palette ("pal") with one
 * colour index per feature ("ci"), optional radii ("rad") and popup/tooltip columns whose values
 * were HTML-escaped in Python. Integer arrays come packed as base64 zigzag varints (ints()).
 * Popup HTML is built on demand from the escaped strings only.
 *
 * Every layer reports itself in a hidden <ul id="geoplan-stats"> (one <li> per layer with
 * data-layer, data-map (the map's element id), data-name, data-kind, data-features and
 * data-objects, data-labels), so tests and benchmarks can count what was drawn whatever the
 * renderer (canvas draws no DOM paths).
 *
 * A layer may carry labels ("lab": points, escaped texts and the zoom from which each shows):
 * township names drawn on the map once the township is wide enough on screen for its name.
 * Every map gets a metric scale bar, a north arrow and no "Leaflet" attribution link
 * (decorate), and is fitted to the printed page when the page is printed (fitForPrint).
 */
(function () {
  "use strict";
  var G = (window.geoplan = window.geoplan || {});
  if (G.addLayer) {
    return;
  }
  G.layers = {}; // layer id -> L.FeatureGroup, for scripts and tests
  G.maps = []; // every Leaflet map of the page, with the bounds it was fitted to

  L.Map.addInitHook(function () {
    var m = this;
    G.maps.push(m);
    var fit = m.fitBounds;
    m.fitBounds = function (bounds, options) {
      m._gpFit = [bounds, options];
      return fit.call(m, bounds, options);
    };
  });

  // base64 of zigzag LEB128 varints (geoplan.maps._encode.pack_ints) -> array of numbers
  function ints(x) {
    if (typeof x !== "string") {
      return x || [];
    }
    var bin = atob(x);
    var out = [];
    var v = 0;
    var scale = 1;
    for (var i = 0; i < bin.length; i++) {
      var c = bin.charCodeAt(i);
      v += (c & 127) * scale;
      if (c & 128) {
        scale *= 128;
      } else {
        out.push(v % 2 === 1 ? -(v + 1) / 2 : v / 2);
        v = 0;
        scale = 1;
      }
    }
    return out;
  }
  G.ints = ints;

  // popup/tooltip columns live once in spec.cols (dictionary codes packed); a popup or
  // tooltip names its labels and the indices of its columns
  function unpack(cols) {
    for (var j = 0; cols && j < cols.length; j++) {
      if (cols[j].k !== undefined) {
        cols[j].k = ints(cols[j].k);
      }
    }
  }

  function cell(col, i) {
    return col.k ? col.u[col.k[i]] : col.v[i];
  }

  function table(cols, fields, i) {
    var s = '<table class="gp-pop">';
    for (var j = 0; j < fields.labels.length; j++) {
      s += "<tr><th>" + fields.labels[j] + "</th><td>" + cell(cols[fields.idx[j]], i) + "</td></tr>";
    }
    if (fields.more) {
      s += '<tr><td colspan="2" class="gp-more">' + fields.more + "</td></tr>";
    }
    return s + "</table>";
  }

  function statsList() {
    var ul = document.getElementById("geoplan-stats");
    if (!ul) {
      ul = document.createElement("ul");
      ul.id = "geoplan-stats";
      ul.hidden = true;
      document.body.appendChild(ul);
    }
    return ul;
  }

  G.addLayer = function (group, spec) {
    var d = ints(spec.d);
    spec.g = ints(spec.g);
    spec.p = ints(spec.p);
    spec.r = ints(spec.r);
    var ci = spec.ci === undefined ? null : ints(spec.ci);
    unpack(spec.cols);
    var q = spec.q || 1e6;
    var pos = 0;
    var x = 0;
    var y = 0;
    function next() {
      x += d[pos];
      y += d[pos + 1];
      pos += 2;
      return [y / q, x / q];
    }
    var n = spec.n;
    var pal = spec.pal;
    var opts = [];
    for (var c = 0; c < pal.length; c++) {
      var o = {};
      for (var key in spec.st) {
        o[key] = spec.st[key];
      }
      if (spec.k === "point") {
        o.fillColor = pal[c];
      } else {
        o.color = pal[c];
        o.fillColor = pal[c];
      }
      o.className = spec.cls;
      opts.push(o);
    }
    var layers = new Array(n);
    var gi = 0;
    var pi = 0;
    var ri = 0;
    for (var i = 0; i < n; i++) {
      var opt = opts[ci ? ci[i] : 0];
      var lyr;
      if (spec.k === "point") {
        lyr = L.circleMarker(next(), opt);
        if (spec.rad) {
          lyr.setRadius(spec.rad[i]);
        }
      } else if (spec.k === "line") {
        var nparts = spec.g[gi++];
        var lines = [];
        for (var a = 0; a < nparts; a++) {
          var np = spec.r[ri++];
          var line = new Array(np);
          for (var b = 0; b < np; b++) {
            line[b] = next();
          }
          lines.push(line);
        }
        lyr = L.polyline(lines.length === 1 ? lines[0] : lines, opt);
      } else {
        var polys = [];
        var nparts2 = spec.g[gi++];
        for (var a2 = 0; a2 < nparts2; a2++) {
          var nrings = spec.p[pi++];
          var rings = [];
          for (var b2 = 0; b2 < nrings; b2++) {
            var np2 = spec.r[ri++];
            var ring = new Array(np2);
            for (var k = 0; k < np2; k++) {
              ring[k] = next();
            }
            rings.push(ring);
          }
          polys.push(rings);
        }
        lyr = L.polygon(polys.length === 1 ? polys[0] : polys, opt);
      }
      lyr.gpi = i;
      layers[i] = lyr;
    }
    var fg = L.featureGroup(layers);
    if (spec.pop) {
      fg.bindPopup(
        function (l) {
          return table(spec.cols, spec.pop, l.gpi);
        },
        { maxWidth: 420 }
      );
    }
    if (spec.tip) {
      fg.bindTooltip(
        function (l) {
          return table(spec.cols, spec.tip, l.gpi);
        },
        { sticky: true }
      );
    }
    group.addLayer(fg);
    G.layers[spec.id] = fg;
    var nlabels = spec.lab ? addLabels(fg, spec.lab) : 0;
    var li = document.createElement("li");
    li.setAttribute("data-layer", spec.id);
    li.setAttribute("data-map", spec.map);
    li.setAttribute("data-name", spec.name);
    li.setAttribute("data-kind", spec.k);
    li.setAttribute("data-features", String(n));
    li.setAttribute("data-objects", String(fg.getLayers().length - (nlabels ? 1 : 0)));
    li.setAttribute("data-labels", String(nlabels));
    statsList().appendChild(li);
    return fg;
  };

  // labels: {d: packed (dx, dy) deltas of the label points, t: escaped texts, z: packed
  // minimum zooms}; each label shows from its zoom on, as a text marker in the layer's group
  function addLabels(fg, lab) {
    var d = ints(lab.d);
    var minz = ints(lab.z);
    var x = 0;
    var y = 0;
    var items = [];
    var shown = L.layerGroup();
    for (var i = 0; i < lab.t.length; i++) {
      x += d[2 * i];
      y += d[2 * i + 1];
      var icon = L.divIcon({
        className: "gp-label",
        html: '<span class="gp-label-text">' + lab.t[i] + "</span>",
        iconSize: [0, 0],
      });
      items.push([L.marker([y / 1e6, x / 1e6], { icon: icon, interactive: false, keyboard: false }), minz[i]]);
    }
    function update() {
      var map = fg._map;
      if (!map) {
        return;
      }
      var z = map.getZoom();
      for (var j = 0; j < items.length; j++) {
        var on = z >= items[j][1];
        if (on && !shown.hasLayer(items[j][0])) {
          shown.addLayer(items[j][0]);
        } else if (!on && shown.hasLayer(items[j][0])) {
          shown.removeLayer(items[j][0]);
        }
      }
    }
    fg.addLayer(shown);
    var onMap = null;
    function attach() {
      if (onMap || !fg._map) {
        return;
      }
      onMap = fg._map;
      onMap.on("zoomend", update);
      update();
    }
    fg.on("add", attach);
    fg.on("remove", function () {
      if (onMap) {
        onMap.off("zoomend", update);
      }
      onMap = null;
    });
    attach();
    return items.length;
  }

  // metric scale bar, north arrow, no "Leaflet" link in the attribution
  G.decorate = function (map, opts) {
    if (map.attributionControl) {
      map.attributionControl.setPrefix(false);
    }
    L.control.scale({ metric: true, imperial: false, maxWidth: 160, position: "bottomleft" }).addTo(map);
    var north = L.control({ position: "topleft" });
    north.onAdd = function () {
      var div = L.DomUtil.create("div", "gp-north");
      div.title = opts.north;
      div.innerHTML =
        '<svg viewBox="0 0 24 34" width="24" height="34" aria-hidden="true">' +
        '<path d="M12 1 L21 27 L12 21 L3 27 Z" fill="#222"/>' +
        '<path d="M12 1 L12 21 L3 27 Z" fill="#fff" stroke="#222" stroke-width="1"/></svg>' +
        '<div class="gp-north-label"></div>';
      div.lastChild.textContent = opts.north;
      return div;
    };
    north.addTo(map);
  };

  // fit every built map to its box as it is now (printed page or screen), drawing canvases at once
  G.fitForPrint = function () {
    G.maps.forEach(function (m) {
      if (!m._loaded) {
        return;
      }
      m.invalidateSize({ animate: false, pan: false });
      if (m._gpFit) {
        m.fitBounds(m._gpFit[0], L.extend({}, m._gpFit[1], { animate: false }));
      }
      m.eachLayer(function (l) {
        if (l instanceof L.Canvas && l._map) {
          l._update();
          if (l._redrawRequest) {
            L.Util.cancelAnimFrame(l._redrawRequest);
          }
          l._redrawBounds = null;
          l._redraw();
        }
      });
    });
  };
  if (window.matchMedia) {
    var mq = window.matchMedia("print");
    if (mq.addEventListener) {
      mq.addEventListener("change", G.fitForPrint);
    } else if (mq.addListener) {
      mq.addListener(G.fitForPrint);
    }
  }
  window.addEventListener("beforeprint", G.fitForPrint);
  window.addEventListener("afterprint", G.fitForPrint);

  G.addLegend = function (map, html, position) {
    var ctl = L.control({ position: position || "bottomright" });
    ctl.onAdd = function () {
      var div = L.DomUtil.create("div", "gp-legend");
      div.innerHTML = html;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    ctl.addTo(map);
    return ctl;
  };
})();
