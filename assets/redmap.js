/* Red Map map functions, reached from Python as {"variable": "redmap.<name>"}.
 *
 * Popup and tooltip text arrives already HTML-escaped from the server
 * (layers/base.py); nothing here builds markup from raw feature values.
 */
(function () {
  "use strict";

  /* The newest hideout of each staff layer, kept by redmap.staffLayers, which makes
   * them, and by a clientside callback for the choropleth's, which the server makes
   * (redmap.rememberHideouts). dash-leaflet 1.1.3 draws a layer whose URL is still
   * loading with the props it had when the download began, and drops a hideout change
   * made meanwhile; the style and filter functions below read this registry first, so
   * that a layer arriving after a filter change is drawn filtered all the same. */
  var latestHideouts = {};

  function hideoutOf(context) {
    if (!context) { return {}; }
    var h = context.hideout || (context.props && context.props.hideout) || {};
    var latest = h.layer && latestHideouts[h.layer];
    // Each staff hideout carries the time it was made ("at", in µs): the newer wins.
    return latest && (latest.at || 0) > (h.at || 0) ? latest : h;
  }

  function rememberHideouts(choropleth) {
    if (choropleth && choropleth.layer) { latestHideouts[choropleth.layer] = choropleth; }
    return window.dash_clientside.no_update;
  }

  var ROAD_WIDTH = {arterial: 4, bridge: 4, secondary: 2.6, local: 1.4, path: 1};
  var ROAD_COLOR = {arterial: "#f4c97a", bridge: "#f4c97a", secondary: "#ffffff", local: "#ffffff", path: "#ddd6cc"};
  /* On the dark wall the roads recede so that the street colours carry the map. */
  var ROAD_COLOR_DARK = {arterial: "#b8863b", bridge: "#b8863b", secondary: "#7a3a3a", local: "#5e2a2e", path: "#4a2226"};

  /* The wall is designed at 1920 px wide; strokes and markers grow with the screen. */
  function scaled(s, h) {
    if (!h.wallScale) { return s; }
    var k = Math.max(1, window.innerWidth / 1920);
    if (s.weight) { s.weight = s.weight * k; }
    if (s.radius) { s.radius = s.radius * k; }
    return s;
  }

  function style(feature, context) {
    var h = hideoutOf(context);
    var s = Object.assign({className: "rm-f rm-f-" + h.layer}, h.style || {});
    if (h.layer === "roads") {
      var cls = feature.properties.road_class;
      s.color = (h.palette === "dark" ? ROAD_COLOR_DARK : ROAD_COLOR)[cls] || s.color;
      s.weight = ROAD_WIDTH[cls] || s.weight;
      s.opacity = 1;
      s.lineCap = "round";
    }
    var colors = h.choropleth && h.choropleth.colors;
    if (colors && colors[feature.properties.id] !== undefined) {
      s.fillColor = colors[feature.properties.id];
      s.fill = true;
      s.fillOpacity = h.choropleth.opacity === undefined ? 0.75 : h.choropleth.opacity;
    }
    if (h.selected && h.selected === feature.properties.id) {
      s.weight = (s.weight || 1) * 2.5;
      s.color = h.selectedColor || "#ffd54f";
      s.dashArray = null;
    }
    return scaled(s, h);
  }

  /* Pipelines on the staff map: hideout.colorBy = {field, colors} fills a point by a
   * stage; hideout.overdue = {field, before, status, closed} rings an incident still
   * open since before the time limit. The class carries the mark too, for tests and
   * for those who do not see the colour. */
  function pipelineOptions(feature, h, options) {
    var p = feature.properties || {};
    if (h.colorBy && h.colorBy.colors && h.colorBy.colors[p[h.colorBy.field]]) {
      options.fillColor = h.colorBy.colors[p[h.colorBy.field]];
      options.fillOpacity = 0.95;
    }
    var o = h.overdue;
    if (o && p[o.status] !== o.closed && p[o.field] && p[o.field] < o.before) {
      options.className += " rm-overdue";
      options.color = "#111";
      options.weight = 2.5;
    }
    return options;
  }

  function pointToLayer(feature, latlng, context) {
    var h = hideoutOf(context);
    // The class lets tests and stylesheets find a layer's features.
    var options = pipelineOptions(feature, h, Object.assign({className: "rm-f rm-f-" + h.layer}, h.style || {}));
    if (context && context.pane) { options.pane = context.pane; }  // markers keep their layer's pane
    return L.circleMarker(latlng, scaled(options, h));
  }

  function clusterToLayer(feature, latlng, index, context) {
    var h = hideoutOf(context);
    var n = feature.properties.point_count;
    var size = n < 10 ? 28 : n < 100 ? 34 : 42;
    var color = (h.style && h.style.fillColor) || "#c8102e";
    var icon = L.divIcon({
      html: "<div style=\"background:" + color + "\"><span>" + String(n) + "</span></div>",
      className: "rm-cluster",
      iconSize: L.point(size, size)
    });
    return L.marker(latlng, {icon: icon});
  }

  function onEachFeature(feature, layer, context) {
    var h = hideoutOf(context);
    var p = feature.properties || {};
    if (p.cluster) { return; }
    if (h.layer === "streets" && p._label && h.permanentLabels !== false) {
      layer.bindTooltip(p._label, {permanent: true, direction: "center", className: "rm-street-label"});
    } else if (p._label && h.kind !== "basemap") {
      layer.bindTooltip(p._label, {direction: "top", className: "rm-tooltip"});
    }
    if (p._popup) {
      var popup = h.telLabel ? telLinks(p._popup, h.telLabel) : p._popup;
      layer.bindPopup(popup, Object.assign({maxWidth: 320, className: "rm-popup-wrap"}, h.popup || {}));
    }
    if (h.tabStop === false) { noTabStop(layer); }
    // hideout.interactive === false: taps go through to the map (set before the layer
    // is added, which is when Leaflet reads it).
    if (h.interactive === false) { layer.options.interactive = false; }
  }

  /* hideout.tabStop === false (public map): a feature takes no Tab stop. Chromium makes
   * an SVG path focusable once it has focus listeners, which every tooltip adds; 180
   * features before the service chips is a wall for keyboard users. */
  function noTabStop(layer) {
    layer.on("add", function () {
      var el = layer.getElement && layer.getElement();
      if (el) { el.setAttribute("tabindex", "-1"); }
    });
  }

  /* hideout.telLabel: the popup row with this label holds a phone number; make it a
   * tel: link. The popup arrives escaped, and only digits, "+", "-" and spaces pass. */
  function telLinks(popup, label) {
    var row = "<th>" + label.replace(/[&<>"]/g, "") + "</th><td>";
    var at = popup.indexOf(row);
    if (at === -1) { return popup; }
    var start = at + row.length, end = popup.indexOf("</td>", start);
    var number = end === -1 ? "" : popup.slice(start, end);
    if (!/^\+?[0-9][0-9 \-]{2,19}$/.test(number)) { return popup; }
    return popup.slice(0, start) + '<a href="tel:' + number.replace(/[ \-]/g, "") + '">' + number + "</a>" +
      popup.slice(end);
  }

  /* hideout.filters: {field: value | [values] | null}. A feature passes when, for
   * every field, its value (or any of its list values) is among the wanted ones. */
  function filter(feature, context) {
    var h = hideoutOf(context);
    if (h.hidden) { return false; }  // a layer unticked in the staff panel
    var filters = h.filters || {};
    var p = feature.properties || {};
    /* hideout.ranges: {field: [from, to)} on ISO dates/timestamps (either end may be null). */
    var ranges = h.ranges || {};
    for (var field in ranges) {
      if (!Object.prototype.hasOwnProperty.call(ranges, field)) { continue; }
      var r = ranges[field], v = p[field];
      if (!v || (r[0] && v < r[0]) || (r[1] && v >= r[1])) { return false; }
    }
    for (var key in filters) {
      if (!Object.prototype.hasOwnProperty.call(filters, key)) { continue; }
      var wanted = filters[key];
      if (wanted === null || wanted === undefined || wanted === "" ||
          (Array.isArray(wanted) && wanted.length === 0)) { continue; }
      if (!(key in p)) { continue; }
      var wantedList = Array.isArray(wanted) ? wanted : [wanted];
      var have = Array.isArray(p[key]) ? p[key] : [p[key]];
      var hit = false;
      for (var i = 0; i < have.length && !hit; i++) {
        hit = wantedList.indexOf(have[i]) !== -1;
      }
      if (!hit) { return false; }
    }
    return true;
  }

  /* Finder results: numbered pins; the selected one is larger. Each is registered so
   * that hovering its card in the list highlights it on the map, and back. */
  var resultLayers = {};

  function resultToLayer(feature, latlng, context) {
    var h = hideoutOf(context);
    var p = feature.properties;
    var selected = h.selected === p.id;
    var size = selected ? 38 : 30;
    var icon = L.divIcon({
      html: "<span>" + String(p.rank) + "</span>",
      className: "rm-pin" + (selected ? " selected" : ""),
      iconSize: L.point(size, size),
      iconAnchor: L.point(size / 2, size / 2)
    });
    var marker = L.marker(latlng, {icon: icon, pane: (context && context.pane) || "markerPane",
                                   zIndexOffset: selected ? 1000 : 0, keyboard: true,
                                   title: (p._label || "").replace(/&[a-z]+;/g, "")});
    resultLayers[p.id] = marker;
    marker.on("mouseover", function () { hotCard(p.id, true); });
    marker.on("mouseout", function () { hotCard(p.id, false); });
    return marker;
  }

  function hotCard(id, on) {
    var card = document.querySelector('[data-result-id="' + CSS.escape(id) + '"]');
    if (card) { card.classList.toggle("hot", on); }
  }

  function hotPin(id, on) {
    var marker = resultLayers[id];
    if (marker && marker._icon) { marker._icon.classList.toggle("hot", on); }
  }

  ["mouseover", "focusin", "mouseout", "focusout"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var card = event.target.closest && event.target.closest("[data-result-id]");
      if (card) { hotPin(card.getAttribute("data-result-id"), type === "mouseover" || type === "focusin"); }
    });
  });

  /* ---- public finder: the search box as a combobox, "my location", focus ------------
   * The keyboard stays in the search box: arrow keys move the highlight through the
   * suggestions (aria-activedescendant), Enter picks the highlighted one (or searches),
   * Escape closes the list. After a pick by keyboard the focus goes to the results
   * heading; after a tap the box lets go of the focus, so a phone's keyboard closes. */
  var pubFocusPending = null;

  function pubOptions() {
    return Array.prototype.slice.call(document.querySelectorAll("#pub-suggestions [role=option]"));
  }

  function pubHighlight(input, options, index) {
    options.forEach(function (o, i) {
      o.classList.toggle("active", i === index);
      o.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (index >= 0 && options[index]) {
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({block: "nearest"});
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  document.addEventListener("keydown", function (event) {
    var input = document.getElementById("pub-search");
    if (!input || event.target !== input) { return; }
    var options = pubOptions();
    var list = document.getElementById("pub-suggestions");
    var at = options.findIndex(function (o) { return o.classList.contains("active"); });
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && options.length) {
      event.preventDefault();
      list.classList.remove("closed");
      input.setAttribute("aria-expanded", "true");
      var next = event.key === "ArrowDown" ? Math.min(at + 1, options.length - 1) : Math.max(at - 1, -1);
      pubHighlight(input, options, next);
    } else if (event.key === "Enter") {
      if (at >= 0) {
        // Cancelling keydown also cancels the keypress that would search for the text.
        event.preventDefault();
        options[at].click();
      }
      pubFocusPending = "heading";  // after the click, which says "blur" for taps
    } else if (event.key === "Escape" && options.length && !list.classList.contains("closed")) {
      event.preventDefault();
      pubHighlight(input, options, -1);
      list.classList.add("closed");
      input.setAttribute("aria-expanded", "false");
    }
  }, true);

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("#pub-suggestions [role=option]")) {
      pubFocusPending = "blur";
    }
  });

  /* A new list of suggestions: open, nothing highlighted yet. */
  function pubListChanged() {
    var input = document.getElementById("pub-search");
    var list = document.getElementById("pub-suggestions");
    if (!input || !list) { return; }
    list.classList.remove("closed");
    input.setAttribute("aria-expanded", pubOptions().length ? "true" : "false");
    input.removeAttribute("aria-activedescendant");
  }

  /* Clientside callback on the suggestions: the ARIA that dcc components cannot take,
   * and the combobox state of the new list. */
  function pubSync() {
    window.setTimeout(function () {
      var input = document.getElementById("pub-search");
      var list = document.getElementById("pub-suggestions");
      if (!input || !list) { return; }
      input.setAttribute("role", "combobox");
      input.setAttribute("aria-autocomplete", "list");
      input.setAttribute("aria-controls", "pub-suggestions");
      pubListChanged();
      if (!list._rmObserved) {
        // React may draw the new list after this callback: follow the list itself.
        list._rmObserved = true;
        new MutationObserver(pubListChanged).observe(list, {childList: true});
      }
      var group = document.getElementById("pub-service");
      if (group) { group.setAttribute("aria-labelledby", "pub-service-label"); }
      ["pub-open-now", "pub-area"].forEach(function (id) {
        var box = document.getElementById(id);
        if (box) { box.setAttribute("aria-label", box.textContent.trim()); }
      });
      // Leaflet names its zoom buttons in English; the page carries their names.
      var main = document.querySelector(".rm-pub-map");
      ["in", "out"].forEach(function (z) {
        var button = document.querySelector("#pub-map .leaflet-control-zoom-" + z);
        var name = main && main.getAttribute("data-zoom-" + z);
        if (button && name) {
          button.setAttribute("aria-label", name);
          button.setAttribute("title", name);
        }
      });
      pubWatchMapSize();
    }, 0);
    return window.dash_clientside.no_update;
  }

  /* Leaflet measures its map once; tell it when the page gives the map another size
   * (the phone turned, a message above it), or fitted views land off the map. */
  var pubMapObserved = false;
  function pubWatchMapSize() {
    var map = document.getElementById("pub-map");
    if (pubMapObserved || !map || !window.ResizeObserver || !window.dash_clientside.set_props) { return; }
    pubMapObserved = true;
    var last = map.clientWidth + "x" + map.clientHeight;
    new ResizeObserver(function () {
      var size = map.clientWidth + "x" + map.clientHeight;
      if (size !== last) {
        last = size;
        window.dash_clientside.set_props("pub-map", {invalidateSize: Date.now()});
      }
    }).observe(map);
  }

  /* Clientside callback on the results: after a pick by keyboard, the focus goes to
   * the heading that says how many places were found; after a tap, away from the box. */
  function pubAnswered() {
    var pending = pubFocusPending;
    pubFocusPending = null;
    window.setTimeout(function () {
      var heading = document.getElementById("pub-count");
      var input = document.getElementById("pub-search");
      if (pending === "heading" && heading) { heading.focus(); }
      if (pending === "blur" && input && document.activeElement === input) { input.blur(); }
    }, 0);
    return window.dash_clientside.no_update;
  }

  /* Clientside callback on "my location": the browser's position, rounded to ~1 m, or
   * what went wrong ({error: "denied" | "insecure" | "unsupported" | "unavailable" |
   * "timeout"}); the server turns either into an answer or a message. */
  function pubLocate() {
    var at = Date.now();
    if (!window.isSecureContext) { return {error: "insecure", at: at}; }
    if (!navigator.geolocation) { return {error: "unsupported", at: at}; }
    var button = document.getElementById("pub-locate");
    if (button && window.dash_clientside.set_props) {
      window.dash_clientside.set_props("pub-message", {children: button.getAttribute("data-locating") || ""});
    }
    return new Promise(function (resolve) {
      navigator.geolocation.getCurrentPosition(
        function (position) {
          resolve({lon: Math.round(position.coords.longitude * 1e5) / 1e5,
                   lat: Math.round(position.coords.latitude * 1e5) / 1e5, at: at});
        },
        function (error) {
          var code = {1: "denied", 2: "unavailable", 3: "timeout"}[error.code] || "unavailable";
          resolve({error: code, at: at});
        },
        {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000}
      );
    });
  }

  /* ---- wall display: tour, live data check, URL options ------------------------------
   * These run as Dash clientside callbacks (dashboard/pages/wall.py). State lives in
   * the page's dcc.Store components; the variables below only remember when this
   * browser's wall was last touched. */
  var wallTouched = 0;
  var wallListening = false;

  function wallListen() {
    if (wallListening) { return; }
    wallListening = true;
    ["mousemove", "pointerdown", "touchstart", "keydown", "wheel"].forEach(function (type) {
      document.addEventListener(type, function () { wallTouched = Date.now(); }, {capture: true, passive: true});
    });
  }

  function wallOption(search, name, fallback) {
    var value = new URLSearchParams(search || "").get(name);
    var n = value === null || value === "" ? NaN : Number(value);
    return isFinite(n) && n >= 0 ? n : fallback;
  }

  /* ?tour=N seconds per step (0 = off, default 20); ?live=N seconds between data checks. */
  function wallConfig(search) {
    wallListen();
    var tour = wallOption(search, "tour", 20);
    var live = wallOption(search, "live", 60);
    return [Math.max(tour, 1) * 1000, tour === 0, Math.max(live, 1) * 1000, live === 0,
            {idle: wallOption(search, "idle", 60) * 1000, tour: tour}];
  }

  /* Ask for the data version; the route answers 304 while it is unchanged. */
  function wallPoll(n, version) {
    var nu = window.dash_clientside.no_update;
    return fetch("data/version.json", {cache: "no-cache", credentials: "same-origin"})
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (body) {
        return [body.version === version ? nu : body.version, "rm-wall-status"];
      })
      .catch(function () { return [nu, "rm-wall-status offline"]; });
  }

  function rem(k) {
    return k * parseFloat(getComputedStyle(document.documentElement).fontSize || "16");
  }

  /* One tour step per tick: each street in turn, then the whole district. Paused while
   * anyone has touched the wall within the idle time. */
  /* The tour's card: the street on show's own figures, drawn with text nodes only. */
  function drawTourCard(card) {
    var box = document.getElementById("wall-tour");
    if (!box) { return; }
    var shown = box.firstChild;
    if (!card) { if (shown) { box.removeChild(shown); } return; }
    var node = el("div", {"class": "rm-tour-card on", "data-street-id": card.id});
    var head = node.appendChild(el("div", {"class": "rm-tour-head"}));
    head.appendChild(el("span", {"class": "rm-tour-kicker"}, card.kicker));
    head.appendChild(el("h3", {}, card.name));
    if (card.flag) { head.appendChild(el("span", {"class": "rm-tour-flag"}, card.flag)); }
    var list = node.appendChild(el("dl"));
    (card.figures || []).forEach(function (f) {
      var row = list.appendChild(el("div"));
      row.appendChild(el("dt", {}, f[1]));
      row.appendChild(el("dd", {"data-street-kpi": f[0]}, f[2]));
    });
    if (shown) { box.replaceChild(node, shown); } else { box.appendChild(node); }
  }

  function wallTour(tick, data, cards, state, hideout, config) {
    var nu = window.dash_clientside.no_update;
    var cc = window.dash_clientside.callback_context;
    var trigger = cc && cc.triggered && cc.triggered.length ? cc.triggered[0].prop_id : "";
    var ticked = trigger.indexOf("n_intervals") !== -1;
    if (!data) { return [nu, nu, nu]; }
    var streets = data.streets || [];
    var idle = (config && config.idle !== undefined) ? config.idle : 60000;
    state = state || {step: streets.length};
    if (ticked && Date.now() - wallTouched < idle) {
      return [nu, nu, nu];
    }
    var step = ticked ? (state.step + 1) % (streets.length + 1) : state.step;
    var street = step < streets.length ? streets[step] : null;
    var next = Object.assign({}, hideout || {}, {
      choropleth: Object.assign({}, (hideout && hideout.choropleth) || {}, {colors: data.colors}),
      selected: street ? street.id : null
    });
    var viewport = nu;
    if (ticked) {
      var side = street ? rem(24) : rem(1);
      viewport = {
        bounds: street ? street.bounds : data.district,
        transition: "flyToBounds",
        // A flight shorter than a step, and never closer than a street needs.
        options: {paddingTopLeft: [rem(2), rem(3)], paddingBottomRight: [side, rem(2)], maxZoom: 15,
                  duration: Math.min(1.2, 0.4 * ((config && config.tour) || 20))}
      };
    }
    drawTourCard(street && cards ? cards[street.id] : null);
    return [viewport, next, {step: step}];
  }

  /* Staff map moved: keep its view in the page (for "in view only") and in the URL
   * (so a link reopens the same view) without a round trip. */
  function staffMoved(e) {
    var map = e.target;
    var b = map.getBounds(), c = map.getCenter(), z = map.getZoom();
    var view = {bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()],
                center: [c.lat, c.lng], zoom: z};
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props("staff-view", {data: view});
    }
    var params = new URLSearchParams(window.location.search);
    params.set("view", c.lat.toFixed(5) + "," + c.lng.toFixed(5) + "," + z);
    window.history.replaceState(window.history.state, "", window.location.pathname + "?" +
      params.toString().replace(/%2C/g, ","));
  }

  /* Staff map: which layers are shown and what they show, from the page's filters,
   * computed here so that the map follows a filter at once (the features are in the
   * browser already; a server round trip only delayed them). The same rule as
   * dashboard/workspace.py map_hideout_filters, which draws the first page:
   *   - street, community and grid filter every layer that carries the field;
   *   - an area layer of that level keeps the chosen area itself;
   *   - the table's own fields and date range filter the layer that draws the table.
   * config: {layers: {name: {id, url, fields}}, tables: {name: {mapLayer, dateField, filters}}}
   * (dashboard/pages/staff.py map_config). The values only choose what the browser
   * shows of data it holds; the server checks them again for the table. The layers
   * whose hideout changes get it through dash_clientside.set_props. */
  var AREA_OF = {streets: "street", communities: "community", grids: "grid"};
  var PLACE_FIELDS = [["street", "street_id"], ["community", "community_id"], ["grid", "grid_id"]];

  function canonical(value) {
    if (Array.isArray(value)) { return "[" + value.map(canonical).join(",") + "]"; }
    if (value && typeof value === "object") {
      return "{" + Object.keys(value).sort().map(function (k) {
        return JSON.stringify(k) + ":" + canonical(value[k]);
      }).join(",") + "}";
    }
    return JSON.stringify(value === undefined ? null : value);
  }

  function dayAfter(iso) {
    var d = new Date(iso.slice(0, 10) + "T00:00:00Z");
    if (isNaN(d.getTime())) { return null; }
    d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
  }

  function isoDay(value) {
    return typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : null;
  }

  /* The ids of a clientside callback's one wildcard output (Dash nests them in a list
   * only when the callback has several outputs). */
  function wildcardOutputs() {
    var list = window.dash_clientside.callback_context.outputs_list || [];
    return Array.isArray(list[0]) ? list[0] : list;
  }

  function staffLayers(chosen, table, street, community, grid, values, start, end, fieldIds, hideouts, config) {
    var nu = window.dash_clientside.no_update;
    config = config || {layers: {}, tables: {}};
    var spec = config.tables[table] || config.tables.grid_events || {};
    var place = {
      street: typeof street === "string" && street ? street : null,
      community: typeof community === "string" && community ? community : null,
      grid: typeof grid === "string" && grid ? grid : null
    };
    var fields = {};
    (fieldIds || []).forEach(function (id, i) {
      var v = values && values[i];
      v = typeof v === "string" ? [v] : v;
      if (id && (spec.filters || []).indexOf(id.field) !== -1 && Array.isArray(v) && v.length) {
        fields[id.field] = v;
      }
    });
    var from = isoDay(start), to = isoDay(end);
    var shown = Array.isArray(chosen) ? chosen : [];
    (hideouts || []).forEach(function (old) {
      var layer = old && old.layer;
      var own = layer && config.layers[layer];
      if (!own) { return; }  // the basemap: never changes
      var isShown = shown.indexOf(layer) !== -1;
      // A layer that stays hidden keeps its filters: it gets new ones when shown.
      if (old.hidden && !isShown) { return; }
      var wanted = {}, ranges = {};
      var has = function (f) { return own.fields.indexOf(f) !== -1; };
      PLACE_FIELDS.forEach(function (pair) {
        if (place[pair[0]] && has(pair[1])) { wanted[pair[1]] = place[pair[0]]; }
      });
      if (AREA_OF[layer] && place[AREA_OF[layer]]) { wanted.id = place[AREA_OF[layer]]; }
      if (spec.mapLayer === layer) {
        Object.keys(fields).forEach(function (f) { if (has(f)) { wanted[f] = fields[f]; } });
        if (spec.dateField && has(spec.dateField) && (from || to)) {
          ranges[spec.dateField] = [from, to ? dayAfter(to) : null];
        }
      }
      // Unchanged hideouts are not set again: setting one makes dash-leaflet redraw the layer.
      if (canonical(wanted) === canonical(old.filters) && canonical(ranges) === canonical(old.ranges || {}) &&
          !isShown === !!old.hidden) {
        return;
      }
      var next = Object.assign({}, old, {filters: wanted, ranges: ranges, hidden: !isShown});
      // Newer than any hideout before it, whichever clock made that one (see hideoutOf).
      next.at = Math.max(Date.now() * 1000, (old.at || 0) + 1);
      latestHideouts[layer] = next;
      window.dash_clientside.set_props(own.id, {hideout: next});
    });
    return nu;
  }

  /* Layers sent by map area (dashboard/tiles.py): the URL of the tiles around a view,
   * or null when the view is wider than area.maxTiles (the layer then draws nothing).
   * The box sent is the middle of its first and last tiles, so the same tiles always
   * make the same URL (the browser's and the server's caches), and the server, which
   * adds one tile all round, finds the same tiles whatever the rounding. */
  function areaUrl(base, bounds, area) {
    var d = area.tileDeg;
    var c0 = Math.floor(bounds[0] / d), r0 = Math.floor(bounds[1] / d);
    var c1 = Math.floor(bounds[2] / d), r1 = Math.floor(bounds[3] / d);
    if ((c1 - c0 + 3) * (r1 - r0 + 3) > area.maxTiles) { return null; }
    var box = [(c0 + 0.5) * d, (r0 + 0.5) * d, (c1 + 0.5) * d, (r1 + 0.5) * d];
    return base + "&bbox=" + box.map(function (v) { return v.toFixed(5); }).join(",");
  }

  function viewBounds(view, area) {
    return view && Array.isArray(view.bounds) && view.bounds.length === 4 ? view.bounds : area.bounds;
  }

  /* Polygon layers simplified per zoom (dashboard/detail.py, detail_url): a layer's URL
   * asks with &z= for the level of its view's zoom (the first of the layer's levels at
   * or above it, rounded up); closer views get the full geometry, without z. Layers
   * that have no levels, and URLs not yet set, are left as they are. */
  function detailUrl(url, zoom, detail) {
    if (typeof url !== "string" || !detail) { return url; }
    var name = /\/([\w-]+)\.geojson\?/.exec(url);
    var levels = name && detail.layers[name[1]];
    if (!levels) { return url; }
    var base = url.replace(/&z=\d+/, "");
    var wanted = Math.ceil((typeof zoom === "number" && isFinite(zoom) ? zoom : detail.first) - 1e-9);
    var level = levels.filter(function (z) { return z >= wanted; })[0];
    return level === undefined ? base : base + "&z=" + level;
  }

  /* Public and wall maps: their polygon layers at the level of the new view. */
  function detailUrls(view, detail, urls) {
    var nu = window.dash_clientside.no_update;
    return urls.map(function (url) {
      var wanted = detailUrl(url, view && view.zoom, detail);
      return wanted === url ? nu : wanted;
    });
  }

  /* Staff map: a layer's data is fetched the first time it is ticked, and kept after;
   * a layer sent by area follows the view while it is shown, and a polygon layer
   * comes at the level of detail of the view (the basemap's too). */
  function staffLayerUrls(chosen, view, urls, config) {
    var nu = window.dash_clientside.no_update;
    var outputs = wildcardOutputs();
    var shown = Array.isArray(chosen) ? chosen : [];
    var area = config && config.area;
    var tooWide = [];
    var out = outputs.map(function (out, i) {
      var layer = out && out.id && out.id.layer;
      var url = urls && urls[i];
      var byArea = area && area.layers[layer];
      if (byArea) {
        if (!byArea.basemap && shown.indexOf(layer) === -1) { return nu; }
        var wanted = areaUrl(byArea.url, viewBounds(view, area), area);
        if (wanted === null && !byArea.basemap) { tooWide.push(byArea.label); }
        return wanted === url ? nu : wanted;
      }
      var zoom = view && view.zoom, detail = config && config.detail;
      var base = layer && config && config.basemaps && config.basemaps[layer];
      if (base) {
        var level = detailUrl(base, zoom, detail);
        return level === url ? nu : level;
      }
      var own = layer && config && config.layers[layer];
      if (!own || shown.indexOf(layer) === -1) { return nu; }
      var wantedUrl = detailUrl(own.url, zoom, detail);
      return url !== wantedUrl ? wantedUrl : nu;
    });
    if (area) {
      window.dash_clientside.set_props("staff-area-hint", {
        children: area.hint.replace("{layers}", tooWide.join("\u3001")), hidden: !tooWide.length
      });
    }
    return out;
  }

  /* Public and wall maps: the view, for their layers sent by area. */
  function mapMoved(e) {
    var map = e.target, b = map.getBounds();
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props(map.getContainer().id + "-view",
        {data: {bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], zoom: map.getZoom()}});
    }
  }

  function areaUrls(view, area) {
    return Object.keys(area.layers).map(function (layer) {
      return areaUrl(area.layers[layer].url, viewBounds(view, area), area);
    });
  }

  /* Staff time slider (dashboard/pages/staff.py time_slider): steps are the first days
   * of months (or weeks); a window [i, j] of steps is the date range from step i's first
   * day to the day before step j + 1 (the span's last day for the last step). The whole
   * span clears the range. Dates picked by hand move the slider to the steps holding
   * them. ▶ plays: the window (one step if it was the whole span) moves a step per tick
   * and stops at the end. */
  function dayBefore(iso) {
    var d = new Date(iso + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() - 1);
    return d.toISOString().slice(0, 10);
  }

  function stepOf(steps, iso, fallback) {
    if (!iso) { return fallback; }
    var day = String(iso).slice(0, 10), at = 0;
    steps.forEach(function (s, i) { if (s <= day) { at = i; } });
    return at;
  }

  function timeSlider(value, start, end, playClicks, ticks, config, stopped) {
    var nu = window.dash_clientside.no_update;
    var steps = (config && config.steps) || [];
    var n = steps.length;
    if (!n) { return [nu, nu, nu, true]; }
    var fired = (window.dash_clientside.callback_context.triggered || []).map(function (t) { return t.prop_id; });
    var has = function (id) { return fired.some(function (p) { return p.indexOf(id + ".") === 0; }); };
    var lastOf = function (j) { return j + 1 < n ? dayBefore(steps[j + 1]) : config.last; };
    var range = function (v) {
      if (v[0] === 0 && v[1] === n - 1) { return [null, null]; }
      return [steps[v[0]], lastOf(v[1])];
    };
    var v = Array.isArray(value) && value.length === 2 ? value.slice() : [0, n - 1];
    if (has("staff-play")) {
      if (!stopped) { setPlaying(false); return [nu, nu, nu, true]; }
      if (v[0] === 0 && v[1] === n - 1 || v[1] >= n - 1) { v = [0, v[1] - v[0] === n - 1 ? 0 : v[1] - v[0]]; }
      setPlaying(true);
      var r0 = range(v);
      return [r0[0], r0[1], v, false];
    }
    if (has("staff-play-tick")) {
      if (v[1] >= n - 1) { setPlaying(false); return [nu, nu, nu, true]; }
      v = [v[0] + 1, v[1] + 1];
      var r1 = range(v);
      if (v[1] >= n - 1) { setPlaying(false); return [r1[0], r1[1], v, true]; }
      return [r1[0], r1[1], v, nu];
    }
    if (has("staff-date-slider")) {
      var r2 = range(v);
      return [r2[0] === (start || null) ? nu : r2[0], r2[1] === (end || null) ? nu : r2[1], nu, nu];
    }
    // Dates picked by hand (or cleared): the slider shows the steps holding them.
    var w = [stepOf(steps, start, 0), stepOf(steps, end, n - 1)];
    if (w[1] < w[0]) { w[1] = w[0]; }
    return [nu, nu, w[0] === v[0] && w[1] === v[1] ? nu : w, nu];
  }

  function setPlaying(on) {
    window.dash_clientside.set_props("staff-play", {
      children: on ? "\u23f8" : "\u25b6",
      "aria-pressed": on ? "true" : "false"
    });
  }

  /* Staff table: the server sends one page of rows, the note, the pager and the chart as
   * data (already masked for the viewer, see dashboard/pages/staff_table.py) and this
   * draws them, with text nodes only. Dash components per cell made every later update
   * of the page slower. The table goes into #staff-records beside the rows' store, which
   * draws nothing; the note, pager and chart into elements Dash never fills. */
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  var SORT_MARK = {descending: " \u25bc", ascending: " \u25b2", none: ""};

  function recordsTable(data) {
    var table = el("table", {"class": "rm-table"});
    table.appendChild(el("caption", {"class": "rm-visually-hidden"}, data.caption));
    var head = el("tr");
    (data.columns || []).forEach(function (c) {
      var th = el("th", {scope: "col", "class": c.cls, "aria-sort": c.sort, "data-col": c.id});
      var button = el("button", {type: "button", "class": "rm-sort", title: c.title}, c.name);
      button.appendChild(el("span", {"class": "rm-sort-mark", "aria-hidden": "true"}, SORT_MARK[c.sort] || ""));
      th.appendChild(button);
      head.appendChild(th);
    });
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    var rows = data.rows || [];
    rows.forEach(function (cells, i) {
      var id = data.ids[i], selected = id === data.selected;
      // Focusable, so Enter chooses it from the keyboard (rowEvent below).
      var tr = el("tr", {tabindex: "0", "class": selected ? "rm-row rm-row-selected" : "rm-row",
                         "data-row-id": id, "aria-selected": selected ? "true" : "false"});
      cells.forEach(function (text) { tr.appendChild(el("td", null, text)); });
      body.appendChild(tr);
    });
    if (!rows.length) {
      var none = el("tr");
      none.appendChild(el("td", {colspan: String(Math.max(1, (data.columns || []).length)),
                                 "class": "rm-no-rows"}, data.empty));
      body.appendChild(none);
    }
    return table;
  }

  function pagerNav(data) {
    var nav = el("nav", {"class": "rm-pager", "aria-label": data.label});
    data.steps.forEach(function (s, i) {
      if (i === 2) { nav.appendChild(el("span", {"class": "rm-page-at"}, data.at)); }
      var button = el("button", {type: "button", "class": "rm-page-step", title: s.title, "aria-label": s.title,
                                 "data-step": s.to}, s.text);
      button.disabled = !!s.disabled;
      nav.appendChild(button);
    });
    return nav;
  }

  function chartBars(data) {
    var list = el("ul", {"class": "rm-sbars"});
    data.bars.forEach(function (bar) {
      var label = bar[0], n = bar[1];
      var li = el("li", {"data-count": String(n), "data-label": label});
      li.appendChild(el("span", {"class": "rm-sbar-label"}, label));
      var track = li.appendChild(el("span", {"class": "rm-sbar-track"}));
      var fill = track.appendChild(el("span", {"class": "rm-sbar"}));
      fill.style.width = (100 * n / data.top).toFixed(1) + "%";
      li.appendChild(el("span", {"class": "rm-sbar-value"}, n.toLocaleString("en-US")));
      list.appendChild(li);
    });
    return [el("div", {"class": "rm-sbars-title"}, data.title), list];
  }

  /* The element of `root` that has the focus, as a selector that finds its successor. */
  function focusKey(root) {
    var focused = document.activeElement;
    if (!root || !focused || !root.contains(focused)) { return null; }
    var th = focused.closest("th[data-col]"), tr = focused.closest("tr[data-row-id]");
    var step = focused.closest("[data-step]");
    return th ? 'th[data-col="' + CSS.escape(th.getAttribute("data-col")) + '"] button'
      : tr ? 'tr[data-row-id="' + CSS.escape(tr.getAttribute("data-row-id")) + '"]'
      : step ? '[data-step="' + CSS.escape(step.getAttribute("data-step")) + '"]' : null;
  }

  /* Replace what `box` holds (but for Dash's own nodes: none here draw any) with `nodes`,
   * keeping the keyboard focus on the same header, row or button. */
  function redraw(box, nodes) {
    if (!box) { return; }
    var key = focusKey(box);
    Array.prototype.slice.call(box.querySelectorAll(":scope > [data-rm-drawn]")).forEach(function (n) {
      box.removeChild(n);
    });
    nodes.forEach(function (n) { n.setAttribute("data-rm-drawn", ""); box.appendChild(n); });
    var again = key && box.querySelector(key);
    if (again) { again.focus({preventScroll: true}); }
  }

  /* Clientside callback on the rows' store: draw table, note, pager and (unless a sort
   * or page left the counts as they were) chart; bring the chosen row into view. Returns
   * the map's viewport when a new place was chosen: the flight starts after the drawing. */
  function drawRecords(data) {
    if (!data || !data.table) { return window.dash_clientside.no_update; }
    var box = document.getElementById("staff-records");
    redraw(box, [recordsTable(data.table)]);
    var note = document.getElementById("staff-records-note");
    if (note) { note.textContent = data.note || ""; }
    redraw(document.getElementById("staff-pager"), data.pager ? [pagerNav(data.pager)] : []);
    if (data.chart) { redraw(document.getElementById("staff-chart"), chartBars(data.chart)); }
    var row = box && box.querySelector("tr.rm-row-selected");
    if (row) { row.scrollIntoView({block: "nearest"}); }
    return data.view || window.dash_clientside.no_update;
  }

  /* A row chosen by click or by Enter/Space on the focused row is marked here at once
   * and reported as {id, from: "table"} (the server then flies the map to it); a
   * header's sort button as {col}, a pager button as {to}. One listener serves every page. */
  function report(store, data) {
    if (window.dash_clientside && window.dash_clientside.set_props) {
      data.at = Date.now();
      window.dash_clientside.set_props(store, {data: data});
    }
  }
  function chooseRow(row) {
    var table = row.closest("table");
    if (table) {
      table.querySelectorAll("tr.rm-row-selected").forEach(function (r) {
        r.classList.remove("rm-row-selected");
        r.setAttribute("aria-selected", "false");
      });
    }
    row.classList.add("rm-row-selected");
    row.setAttribute("aria-selected", "true");
    report("staff-selected", {id: row.getAttribute("data-row-id"), from: "table"});
  }
  function rowEvent(e) {
    var sort = e.type === "click" && e.target.closest && e.target.closest("#staff-records th[data-col] button");
    if (sort) { report("staff-sort-by", {col: sort.parentNode.getAttribute("data-col")}); return; }
    var step = e.type === "click" && e.target.closest && e.target.closest("#staff-pager button[data-step]");
    if (step) { report("staff-page-to", {to: step.getAttribute("data-step")}); return; }
    var row = e.target.closest && e.target.closest("#staff-records tr[data-row-id]");
    if (!row) { return; }
    if (e.type === "keydown") {
      if (e.key !== "Enter" && e.key !== " ") { return; }
      e.preventDefault();
    }
    chooseRow(row);
  }
  document.addEventListener("click", rowEvent);
  document.addEventListener("keydown", rowEvent);

  /* Accessibility repairs of Dash 4's own markup (axe-core, WCAG 2.1 AA), applied
   * whenever React draws it: an options list is a div role=listbox holding labels
   * role=option that each hold a native radio or checkbox, so a control sits inside a
   * control (nested-interactive) and the list has no name. The native inputs carry
   * the meaning: the list becomes a radiogroup (or a group of checkboxes) named by the
   * label drawn before it, the labels lose their role. The date range's wrapper is a
   * div claiming aria-expanded without a role, and its clear link an aria-label with
   * none: the wrapper drops the popup attributes (its inputs open the calendar), the
   * link becomes the button it acts as. */
  function repairDashMarkup(root) {
    var scope = root && root.querySelectorAll ? root : document;
    // Radio items and checklists only: a dropdown's menu is a real listbox of options.
    var lists = ".dash-options-list.dash-radioitems[role='listbox'], .dash-options-list.dash-checklist[role='listbox']";
    var options = ".dash-radioitems .dash-options-list-option[role], .dash-checklist .dash-options-list-option[role]";
    scope.querySelectorAll(lists).forEach(function (list) {
      list.setAttribute("role", list.classList.contains("dash-radioitems") ? "radiogroup" : "group");
      var label = list.previousElementSibling;
      if (!list.hasAttribute("aria-labelledby") && label && label.classList.contains("rm-radio-label")) {
        label.id = label.id || list.id + "-label";
        list.setAttribute("aria-labelledby", label.id);
      }
    });
    scope.querySelectorAll(options).forEach(function (option) {
      option.removeAttribute("role");
      option.removeAttribute("aria-selected");
    });
    scope.querySelectorAll(".dash-datepicker-input-wrapper[aria-expanded]").forEach(function (box) {
      ["aria-expanded", "aria-haspopup", "aria-controls", "aria-disabled", "type"].forEach(function (a) {
        box.removeAttribute(a);
      });
    });
    scope.querySelectorAll("a.dash-datepicker-clear[aria-label]:not([role])").forEach(function (link) {
      link.setAttribute("role", "button");
      if (!link.hasAttribute("tabindex")) { link.setAttribute("tabindex", "0"); }
    });
  }
  var repairs = new MutationObserver(function () {
    repairDashMarkup(document);
    repairs.takeRecords();  // the repairs' own mutations: nothing more to repair in them
  });
  repairs.observe(document.documentElement, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["role", "aria-expanded"]
  });

  window.redmap = Object.assign({}, window.redmap, {
    repairDashMarkup: repairDashMarkup,
    pubLocate: pubLocate,
    pubSync: pubSync,
    pubAnswered: pubAnswered,
    drawRecords: drawRecords,
    staffLayers: staffLayers,
    staffLayerUrls: staffLayerUrls,
    timeSlider: timeSlider,
    mapMoved: mapMoved,
    areaUrls: areaUrls,
    detailUrl: detailUrl,
    detailUrls: detailUrls,
    staffMoved: staffMoved,
    rememberHideouts: rememberHideouts,
    wallConfig: wallConfig,
    wallPoll: wallPoll,
    wallTour: wallTour,
    resultToLayer: resultToLayer,
    style: style,
    pointToLayer: pointToLayer,
    clusterToLayer: clusterToLayer,
    onEachFeature: onEachFeature,
    filter: filter
  });
})();
