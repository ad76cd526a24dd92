/* PNG of the map, legend and chart as seen, for reports: drawn here, nothing fetched.
 * redmapPng.download(mapId, chartId, title, filename) → Promise of data: URL. */
(() => {
const D = document, css = getComputedStyle, all = (root, sel) => Array.from(root.querySelectorAll(sel));
const text = (el) => (el ? el.textContent.replace(/\s+/g, " ").trim() : "");
const z = (el) => parseInt(css(el.closest(".leaflet-pane")).zIndex, 10) || 0;
const INK = "#1f1f1f", PROPS = "fill fill-opacity stroke stroke-opacity stroke-width stroke-dasharray stroke-linecap opacity";

// The copy has no stylesheet: write the styles CSS classes give onto it.
function svgImage(svg, k) {
  const copy = svg.cloneNode(true), to = all(copy, "*"), r = svg.getBoundingClientRect(), img = new Image();
  all(svg, "*").forEach((el, i) => {
    const cs = css(el);
    to[i].style.cssText = PROPS.split(" ").map((p) => p + ":" + cs.getPropertyValue(p)).join(";");
  });
  copy.removeAttribute("style");
  copy.setAttribute("width", r.width * k);
  copy.setAttribute("height", r.height * k);
  img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(new XMLSerializer().serializeToString(copy));
  return img.decode().then(() => img);
}

function download(mapId, chartId, title, filename) {
  const map = D.getElementById(mapId), chart = D.getElementById(chartId), M = map.getBoundingClientRect();
  const k = Math.max(2, devicePixelRatio), font = css(map).fontFamily, W = map.clientWidth, H = map.clientHeight;
  const g = D.createElement("canvas").getContext("2d"), c = g.canvas, heads = [""];
  const box = (el) => {
    const a = el.getBoundingClientRect(), x = a.left - M.left, y = a.top - M.top + top;
    return {x, y, w: a.width, h: a.height, cx: x + a.width / 2, cy: y + a.height / 2};
  };
  const put = (s, x, y, color, f, halo) => {
    if (f) g.font = f + "px " + font;
    if (halo) { g.strokeStyle = halo; g.lineWidth = 3; g.strokeText(s, x, y); }
    g.fillStyle = color; g.fillText(s, x, y);
  };
  const fill = (color, x, y, w, h) => { g.fillStyle = color; g.fillRect(x, y, w, h); };
  g.font = "bold 18px " + font;
  for (const ch of title || "") {
    const n = heads.length - 1;
    if (g.measureText(heads[n] + ch).width > W - 24) heads.push(ch.trim()); else heads[n] += ch;
  }
  const top = 16 + heads.length * 24;
  const bars = chart ? all(chart, "li") : [];
  // The choropleth legend if shown, else the layers ticked in the panel.
  const key = all(D, ".rm-legend").find((el) => el.querySelector("li"));
  const rows = key ? all(key, "li") : all(D, ".rm-layer-list input:checked").map((el) => el.closest("label")).filter(Boolean);
  const below = Math.max(bars.length * 22 + 34, rows.length * 20 + 30) + 12, y0 = top + H + 16;
  const layers = all(map, ".leaflet-map-pane svg,.leaflet-map-pane canvas,.leaflet-tile-loaded")
    .filter((el) => (el.src || location.origin).startsWith(location.origin))  // others taint
    .sort((a, b) => z(a) - z(b));
  c.width = W * k;
  c.height = (top + H + below) * k;
  g.scale(k, k);
  fill("#fff", 0, 0, W, top + H + below);
  g.textBaseline = "middle";
  heads.forEach((line, i) => put(line, 12, 20 + i * 24, "#7a0010", "bold 18"));
  return Promise.all(layers.map((el) => (el.tagName == "svg" ? svgImage(el, k) : el))).then((images) => {
    g.save(); g.beginPath(); g.rect(0, top, W, H); g.clip();
    fill(css(map).backgroundColor, 0, top, W, H);
    images.forEach((img, i) => { const r = box(layers[i]); g.drawImage(img, r.x, r.y, r.w, r.h); });
    g.textAlign = "center";
    all(map, ".leaflet-marker-icon").forEach((icon) => {  // clusters: a disc and the count
      const r = box(icon), cs = css(icon.firstElementChild || icon);
      g.beginPath(); g.arc(r.cx, r.cy, Math.min(r.w, r.h) / 2 - 1, 0, 7);
      g.fillStyle = cs.backgroundColor; g.fill();
      g.strokeStyle = "#fff"; g.lineWidth = 2; g.stroke();
      put(text(icon), r.cx, r.cy, cs.color, "bold 12");
    });
    all(map, ".leaflet-tooltip").forEach((tip) => {
      const r = box(tip), cs = css(tip);
      put(text(tip), r.cx, r.cy, cs.color, cs.fontWeight + " " + parseFloat(cs.fontSize), "#fff");
    });
    g.textAlign = "left"; g.strokeStyle = "#777";
    all(map, ".leaflet-control-scale-line,.leaflet-control-attribution").forEach((el) => {
      const r = box(el);
      fill("rgba(255,255,255,.8)", r.x, r.y, r.w, r.h);
      if (/scale/.test(el.className)) g.strokeRect(r.x, r.y - 1, r.w, r.h);
      put(text(el), r.x + 4, r.cy, "#333", 11);
    });
    g.restore();
    const cw = Math.min(560, W * 0.6), lx = bars.length ? cw + 40 : 12, track = cw - 160;
    put(text(chart && chart.querySelector("[class*=title]")), 12, y0 + 6, "#7a0010", "bold 13");
    put(text(key && key.querySelector("[class*=title]")), lx, y0 + 6, "#7a0010");
    g.font = "12.5px " + font;
    bars.forEach((li, i) => {
      const y = y0 + 28 + i * 22, bar = li.querySelector(".rm-sbar") || li;
      g.textAlign = "right"; put(text(li.firstChild), 92, y, INK);
      fill("#f3eee6", 100, y - 7, track, 14);
      fill(css(bar).backgroundColor, 100, y - 7, Math.max(1, (track * parseFloat(bar.style.width)) / 100 || 0), 14);
      g.textAlign = "left"; put(text(li.lastChild), 108 + track, y, INK);
    });
    rows.forEach((li, i) => {
      const y = y0 + (key ? 26 : 6) + i * 20, cs = css(li.querySelector("[class*=swatch]") || li);
      fill(cs.backgroundColor, lx, y - 7, 22, 14);
      g.strokeStyle = cs.borderTopColor; g.strokeRect(lx + 0.5, y - 6.5, 21, 13);
      put(text(li.querySelector(".rm-layer-name") || li), lx + 30, y, INK);
    });
    const url = c.toDataURL(), a = D.createElement("a");
    a.href = URL.createObjectURL(new Blob([Uint8Array.from(atob(url.slice(22)), (ch) => ch.charCodeAt(0))]));
    a.download = filename || "redmap.png";
    D.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1e4);
    return url;
  });
}

window.redmapPng = {download};
})();
