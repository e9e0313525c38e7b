// fovlabel view: the map, a frame's matches, a pair, the histogram and the summary.
// Plain JavaScript, no library: it ships inside the package and fetches nothing from outside.
"use strict";

const GROUP_COLOURS = ["#4e79a7", "#59a14f", "#9c755f", "#b07aa1", "#76b7b2", "#edc948", "#bab0ac", "#ff9da7", "#86bcb6", "#8cd17d"];
const ROLE_COLOURS = {query: "#1f5fbf", database: "#d9822b", none: "#666666"};
const RANK_COLOURS = {2: "#1a7f37", 1: "#e08a00", 0: "#9a9a9a"};
const RANK_NAMES = {2: "positive", 1: "soft negative", 0: "hard negative"};

const $ = (id) => document.getElementById(id);
const canvas = $("map");
const ctx = canvas.getContext("2d");
let info = null;
let view = {cx: 0, cy: 0, scale: 1};  // map units (metres) per CSS pixel
let data = null;        // the last /api/map answer
let selected = null;    // /api/frame answer of the selected frame
let pairShown = null;
let group = "";
let request = 0;

async function getJSON(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.json();
}

function size() {
  const w = canvas.clientWidth, h = canvas.clientHeight, dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return [w, h];
}

function toScreen(x, y) {
  const [w, h] = [canvas.clientWidth, canvas.clientHeight];
  return [w / 2 + (x - view.cx) / view.scale, h / 2 - (y - view.cy) / view.scale];
}

function toMap(px, py) {
  const [w, h] = [canvas.clientWidth, canvas.clientHeight];
  return [view.cx + (px - w / 2) * view.scale, view.cy - (py - h / 2) * view.scale];
}

function fit(bounds) {
  const [w, h] = size();
  const [x0, y0, x1, y1] = bounds;
  view.cx = (x0 + x1) / 2; view.cy = (y0 + y1) / 2;
  view.scale = Math.max((x1 - x0) / Math.max(w - 40, 10), (y1 - y0) / Math.max(h - 40, 10), 1e-3);
}

let pending = null;
function refresh() {
  clearTimeout(pending);
  pending = setTimeout(load, 60);
  draw();
  links();
}

function links() {  // the links of the frame and the pair shown, with the map's view as it is now
  if (selected) $("frame-link").href = `#frame=${selected.frame.id}&at=${at()}`;
  if (pairShown) $("pair-link").href = `#pair=${pairShown.a.id},${pairShown.b.id}&at=${at()}`;
}

async function load() {
  const [w, h] = size();
  const [x0, y1] = toMap(0, 0), [x1, y0] = toMap(w, h);
  const mine = ++request;
  const answer = await getJSON(`/api/map?x0=${x0}&y0=${y0}&x1=${x1}&y1=${y1}&w=${Math.round(w)}&h=${Math.round(h)}` +
                               (group !== "" ? `&group=${group}` : ""));
  if (mine !== request) return;
  data = answer; data.view = {x0, y0, x1, y1};
  const drawn = data.points ? data.points.id.length : data.cells.count.reduce((a, b) => a + b, 0);
  const count = $("frame-count");
  count.dataset.count = data.total; count.dataset.drawn = drawn;
  count.textContent = `${data.total.toLocaleString()} frames on the map` +
    (info.frames > info.placed ? ` (${(info.frames - info.placed).toLocaleString()} not placed)` : "") +
    ` · ${data.in_view.toLocaleString()} in view`;
  $("map-note").textContent = data.points ? "each frame drawn" : `too many to draw one by one: frames counted on a grid`;
  draw();
}

function draw() {
  const [w, h] = size();
  ctx.clearRect(0, 0, w, h);
  if (!data) return;
  if (data.cells) drawCells(w, h); else drawPoints();
  if (selected) drawSelected();
}

function drawCells(w, h) {
  const c = data.cells, v = data.view;
  const cw = w / c.nx, ch = h / c.ny;
  const most = Math.max(...c.count, 1);
  const [sx0, sy0] = toScreen(v.x0, v.y1);
  for (let k = 0; k < c.cell.length; k++) {
    const ix = c.cell[k] % c.nx, iy = Math.floor(c.cell[k] / c.nx);
    ctx.globalAlpha = 0.25 + 0.75 * Math.log1p(c.count[k]) / Math.log1p(most);
    ctx.fillStyle = ROLE_COLOURS[info.roles[c.role[k]]] || "#444";
    ctx.fillRect(sx0 + ix * cw, sy0 + (c.ny - 1 - iy) * ch, Math.max(cw, 1.5), Math.max(ch, 1.5));
  }
  ctx.globalAlpha = 1;
}

function drawPoints() {
  const p = data.points;
  const arrows = p.id.length <= 3000;
  const r = p.id.length > 5000 ? 1.5 : 3;
  for (let k = 0; k < p.id.length; k++) {
    const [sx, sy] = toScreen(p.x[k], p.y[k]);
    const colour = info.groups.length > 1 ? GROUP_COLOURS[p.group[k] % GROUP_COLOURS.length] : ROLE_COLOURS[info.roles[p.role[k]]] || "#444";
    if (arrows && p.heading[k] !== null) {
      const a = p.heading[k] * Math.PI / 180;  // compass: clockwise from north (screen up)
      ctx.strokeStyle = colour; ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(sx, sy); ctx.lineTo(sx + 9 * Math.sin(a), sy - 9 * Math.cos(a)); ctx.stroke();
    }
    ctx.beginPath(); ctx.arc(sx, sy, r, 0, 2 * Math.PI);
    if (info.roles[p.role[k]] === "database" && info.groups.length > 1) {
      ctx.strokeStyle = colour; ctx.lineWidth = 1.2; ctx.stroke();
    } else { ctx.fillStyle = colour; ctx.fill(); }
  }
}

function drawSelected() {
  const f = selected.frame;
  for (const m of selected.matches.slice().reverse()) {
    if (m.x === null) continue;
    const [sx, sy] = toScreen(m.x, m.y);
    ctx.beginPath(); ctx.arc(sx, sy, 5, 0, 2 * Math.PI);
    ctx.fillStyle = RANK_COLOURS[m.rank]; ctx.fill();
    ctx.strokeStyle = "#000"; ctx.lineWidth = 0.5; ctx.stroke();
  }
  if (f.x !== null) {
    const [sx, sy] = toScreen(f.x, f.y);
    ctx.beginPath(); ctx.arc(sx, sy, 8, 0, 2 * Math.PI);
    ctx.strokeStyle = "#000"; ctx.lineWidth = 2.5; ctx.stroke();
  }
}

function legend() {
  const parts = [];
  if (info.groups.length > 1) {
    info.groups.slice(0, 10).forEach((g, k) => parts.push(`<span style="background:${GROUP_COLOURS[k % 10]}"></span>${g}`));
    if (info.groups.length > 10) parts.push(` ... ${info.groups.length} groups`);
    parts.push("<br>queries filled, database rings");
  } else {
    info.roles.forEach((r) => parts.push(`<span style="background:${ROLE_COLOURS[r] || "#444"}"></span>${r}`));
  }
  parts.push(`<br>selected frame: <span style="background:${RANK_COLOURS[2]}"></span>positive` +
             `<span style="background:${RANK_COLOURS[1]}"></span>soft negative<span style="background:${RANK_COLOURS[0]}"></span>zero`);
  $("legend").innerHTML = parts.join("");
}

// -- a frame and a pair -------------------------------------------------------------------------

function fmt(v, digits) { return v === null || v === undefined ? "-" : Number(v).toFixed(digits); }
function metres(v) { return v === null || v === undefined ? "-" : `${Number(v).toFixed(Math.abs(v) < 10 ? 2 : 1)} m`; }

async function openFrame(id, centre) {
  selected = await getJSON(`/api/frame/${id}`);
  const f = selected.frame;
  $("pair-panel").hidden = true; $("frame-panel").hidden = false;
  $("frame-title").textContent = f.key;
  $("frame-meta").textContent = `frame ${f.id} · group ${f.group} · ${f.role}` + (f.usable ? "" : ` · unusable (${f.flag})`) +
    ` · ${selected.matches.length} pair(s): ${selected.matches.filter((m) => m.rank === 2).length} positive`;
  const body = $("matches").tBodies[0];
  body.innerHTML = "";
  selected.matches.forEach((m, k) => {
    const tr = body.insertRow();
    tr.className = `rank${m.rank}`; tr.dataset.id = m.id;
    for (const text of [k + 1, m.key, fmt(m.overlap, 3), metres(m.distance_m), `${fmt(m.heading_diff_deg, 0)}°`, RANK_NAMES[m.rank], m.view || ""]) {
      tr.insertCell().textContent = text;
    }
    tr.onclick = () => { location.hash = `pair=${f.id},${m.id}`; };
  });
  if (centre && f.x !== null) { view.cx = f.x; view.cy = f.y; refresh(); } else { draw(); links(); }
}

async function openPair(a, b, centre) {
  if (!selected || selected.frame.id !== a) await openFrame(a, centre !== false);
  const p = await getJSON(`/api/pair/${a}/${b}`);
  pairShown = p;
  $("frame-panel").hidden = true; $("pair-panel").hidden = false;
  $("pair-title").textContent = `${p.a.key}  ×  ${p.b.key}`;
  const row = p.row;
  $("pair-meta").textContent = row ? `overlap ${fmt(row.overlap, 3)} (${p.measure}) · ${RANK_NAMES[row.rank]} · distance ${metres(row.distance_m)} · heading difference ${fmt(row.heading_diff_deg, 0)}°` +
    (row.cover_a !== undefined ? ` · coverage ${fmt(row.cover_a, 2)} / ${fmt(row.cover_b, 2)}` : "")
    : "not in the pairs table: overlap 0";
  $("pair-back").href = `#frame=${a}`;
  links();
  for (const [img, f] of [[$("img-a"), p.a], [$("img-b"), p.b]]) {
    img.parentElement.hidden = !f.image;
    if (f.image) img.src = `/api/image/${f.id}?w=420`;
  }
  $("pair-lines").innerHTML = "";
  if (p.correspondences && p.a.image && p.b.image) drawCorrespondences(a, b, p);
  const sectors = $("pair-sectors"), picture = $("pair-picture");
  sectors.hidden = !p.a.sector; picture.hidden = !p.pixels;
  if (p.a.sector && p.b.sector) drawSectors(p.a.sector, p.b.sector);
  if (p.pixels) picture.src = `/api/pair/${a}/${b}.png`;
}

async function drawCorrespondences(a, b, p) {
  const lines = (await getJSON(`/api/correspondences/${a}/${b}`)).lines;
  const [ia, ib] = [$("img-a"), $("img-b")];
  const ready = (img) => img.complete ? Promise.resolve() : new Promise((ok) => { img.onload = ok; img.onerror = ok; });
  await Promise.all([ready(ia), ready(ib)]);
  const box = $("pair-images").getBoundingClientRect();
  const ra = ia.getBoundingClientRect(), rb = ib.getBoundingClientRect();
  const sa = ra.width / (p.a.width || ia.naturalWidth), sb = rb.width / (p.b.width || ib.naturalWidth);
  $("pair-lines").innerHTML = lines.map(([ua, va, ub, vb], k) =>
    `<line x1="${ra.left - box.left + ua * sa}" y1="${ra.top - box.top + va * sa}" x2="${rb.left - box.left + ub * sb}" ` +
    `y2="${rb.top - box.top + vb * sb}" stroke="hsl(${(k * 47) % 360},80%,50%)" stroke-width="1"/>`).join("");
}

function drawSectors(sa, sb) {
  const c = $("pair-sectors"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  const [ax, ay] = [sa[0], sa[1]];
  const pts = [[0, 0], [sb[0] - ax, sb[1] - ay]];
  const outline = (sec, p) => {  // the sector's apex and arc, compass angles (x = sin, y = cos)
    const h = sec[2] * Math.PI / 180, half = sec[3] * Math.PI / 360, out = [[p[0], p[1]]];
    for (let k = 0; k <= 64; k++) {
      const a = h - half + 2 * half * k / 64;
      out.push([p[0] + sec[4] * Math.sin(a), p[1] + sec[4] * Math.cos(a)]);
    }
    return out;
  };
  const shapes = [outline(sa, pts[0]), outline(sb, pts[1])];
  const all = shapes.flat(), xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const margin = 0.05 * Math.max(sa[4], sb[4]);  // the two sectors fill the picture
  const x0 = Math.min(...xs) - margin, x1 = Math.max(...xs) + margin, y0 = Math.min(...ys) - margin, y1 = Math.max(...ys) + margin;
  const s = Math.min(c.width / (x1 - x0), (c.height - 20) / (y1 - y0));
  const tx = (x) => (x - x0) * s + (c.width - (x1 - x0) * s) / 2;
  const ty = (y) => c.height - 20 - ((y - y0) * s + (c.height - 20 - (y1 - y0) * s) / 2);
  g.globalCompositeOperation = "multiply";
  shapes.forEach((shape, k) => {
    g.beginPath();
    shape.forEach(([x, y], n) => (n ? g.lineTo(tx(x), ty(y)) : g.moveTo(tx(x), ty(y))));
    g.closePath(); g.fillStyle = ["rgba(80,130,230,0.55)", "rgba(230,140,40,0.55)"][k]; g.fill();
  });
  g.globalCompositeOperation = "source-over";
  g.fillStyle = "#222"; g.font = "12px sans-serif";
  g.fillText("A", tx(0) + 4, ty(0) - 4); g.fillText("B", tx(pts[1][0]) + 4, ty(pts[1][1]) - 4);
  g.fillText(`radius ${sa[4]} m, fov ${Math.round(sa[3])}° / ${Math.round(sb[3])}°; the overlap is where they mix`, 6, c.height - 6);
}

// -- the histogram and the summary --------------------------------------------------------------

async function summary() {
  let status = await getJSON("/api/status");
  while (!status.ready) { await new Promise((ok) => setTimeout(ok, 300)); status = await getJSON("/api/status"); }
  const s = await getJSON("/api/summary");
  if (s.error) { $("summary").textContent = s.error; return; }
  histogram(s.histogram);
  const m = s.summary;  // what `fovlabel show` prints
  const count = (o, none) => Object.entries(o || {}).map(([k, n]) => `${Number(n).toLocaleString()} ${k === "none" ? none : k}`).join(", ");
  const lines = [`fovlabel ${m.fovlabel_version}, schema ${m.schema_version}, labeller ${m.labeller}`,
    `input: ${m.input.format} ${m.input.path}`, `run: ${JSON.stringify(m.run)}`, `params: ${JSON.stringify(m.params)}`,
    `frames: ${m.frames.toLocaleString()} (${count(m.roles, "without a role")})` +
      (Object.keys(m.unusable || {}).length ? `; left out: ${count(m.unusable, "unflagged")}` : ""),
    `pairs: ${m.pairs.toLocaleString()}`];
  for (const r of ["2", "1", "0"]) if (r in (m.ranks || {})) lines.push(`  rank ${r} (${RANK_NAMES[r]}): ${Number(m.ranks[r]).toLocaleString()}`);
  const q = m.overlap_quantiles || {};
  if (Object.keys(q).length) lines.push(`overlap quantiles: ${Object.entries(q).map(([k, v]) => `${k}=${v.toFixed(3)}`).join(", ")}`);
  lines.push(`groups: ${Object.keys(m.groups || {}).length}`);
  $("summary").textContent = lines.join("\n");
  const best = $("best");
  best.innerHTML = "<b>best pairs</b>";
  for (const b of (m.best_pairs || [])) {
    const a = document.createElement("a");
    a.href = `#pair=${b.frame_a},${b.frame_b}`;
    a.textContent = `${b.key_a} × ${b.key_b}: ${Number(b.overlap).toFixed(3)}`;
    best.appendChild(document.createElement("br")); best.appendChild(a);
  }
}

function histogram(hist) {
  const c = $("histogram"), g = c.getContext("2d");
  const edges = hist.edges, n = edges.length - 1, pad = 28;
  const most = Math.max(1, ...Object.values(hist.counts).flat());
  const w = (c.width - pad - 6) / n, hgt = c.height - pad - 6;
  g.clearRect(0, 0, c.width, c.height);
  for (const r of ["1", "2", "0"]) {
    g.fillStyle = RANK_COLOURS[r]; g.globalAlpha = 0.8;
    hist.counts[r].forEach((v, k) => {
      if (!v) return;
      const bar = hgt * Math.log10(1 + v) / Math.log10(1 + most);
      g.fillRect(pad + k * w, 6 + hgt - bar, Math.max(w - 1, 1), bar);
    });
  }
  g.globalAlpha = 1; g.strokeStyle = "#c00"; g.setLineDash([4, 3]);
  const tx = pad + hist.positive * n * w;
  g.beginPath(); g.moveTo(tx, 6); g.lineTo(tx, 6 + hgt); g.stroke(); g.setLineDash([]);
  g.fillStyle = "#333"; g.font = "11px sans-serif";
  g.fillText("0", pad, c.height - 10); g.fillText("overlap", c.width / 2 - 20, c.height - 10); g.fillText("1", c.width - 12, c.height - 10);
  g.fillText(`positive ≥ ${hist.positive}`, tx + 3, 16);
  g.save(); g.translate(10, 6 + hgt); g.rotate(-Math.PI / 2); g.fillText("pairs (log)", 0, 0); g.restore();
}

// -- interaction --------------------------------------------------------------------------------

let drag = null;
canvas.addEventListener("mousedown", (e) => { drag = {x: e.offsetX, y: e.offsetY, cx: view.cx, cy: view.cy, moved: false}; });
window.addEventListener("mouseup", async (e) => {
  if (!drag) return;
  const d = drag; drag = null;
  if (d.moved || e.target !== canvas) return;
  const [x, y] = toMap(e.offsetX, e.offsetY);
  const hit = await getJSON(`/api/near?x=${x}&y=${y}&r=${10 * view.scale}`);
  if (hit.id !== null) location.hash = `frame=${hit.id}`;
});
canvas.addEventListener("mousemove", (e) => {
  if (!drag) return;
  const dx = e.offsetX - drag.x, dy = e.offsetY - drag.y;
  if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
  view.cx = drag.cx - dx * view.scale; view.cy = drag.cy + dy * view.scale;
  refresh();
});
canvas.addEventListener("wheel", (e) => {
  e.preventDefault();
  const [x, y] = toMap(e.offsetX, e.offsetY);
  const f = Math.exp(e.deltaY * 0.0015);
  view.scale *= f;
  view.cx = x - (x - view.cx) * f; view.cy = y - (y - view.cy) * f;
  refresh();
}, {passive: false});
window.addEventListener("resize", refresh);

let searching = null;
$("search").addEventListener("input", (e) => {
  clearTimeout(searching);
  searching = setTimeout(async () => {
    const q = e.target.value.trim(), list = $("search-results");
    if (!q) { list.hidden = true; return; }
    const found = (await getJSON(`/api/search?q=${encodeURIComponent(q)}`)).frames;
    list.innerHTML = "";
    for (const f of found) {
      const li = document.createElement("li");
      li.textContent = `${f.key} (${f.group}, ${f.role})`;
      li.onclick = () => { list.hidden = true; location.hash = `frame=${f.id}&centre`; };
      list.appendChild(li);
    }
    if (!found.length) list.innerHTML = "<li>no frame</li>";
    list.hidden = false;
  }, 150);
});
$("group").addEventListener("change", (e) => { group = e.target.value; load(); });

function at() {  // the map's centre and scale, for a link that reopens the same view
  return [view.cx, view.cy, view.scale].map((v) => Number(v.toPrecision(9))).join(",");
}

function route(initial) {
  const hash = new URLSearchParams(location.hash.slice(1));
  if (initial && hash.has("at")) {
    const [cx, cy, scale] = hash.get("at").split(",").map(Number);
    if ([cx, cy, scale].every(Number.isFinite) && scale > 0) { view = {cx, cy, scale}; refresh(); initial = false; }
  }
  if (hash.has("pair")) {
    const [a, b] = hash.get("pair").split(",").map(Number);
    openPair(a, b, initial === true);
  } else if (hash.has("frame")) {
    openFrame(Number(hash.get("frame")), initial === true || hash.has("centre"));
  }
}
window.addEventListener("hashchange", () => route(false));

async function start() {
  info = await getJSON("/api/info");
  $("set-name").textContent = `${info.labels} · ${info.labeller} · ${info.frames.toLocaleString()} frames · ${info.pairs.toLocaleString()} pairs`;
  info.groups.forEach((g, k) => { const o = document.createElement("option"); o.value = k; o.textContent = g; $("group").appendChild(o); });
  legend();
  fit(info.bounds);
  await load();
  document.body.dataset.ready = "map";
  summary().then(() => { document.body.dataset.summary = "ready"; });
  route(true);
}
start();
