// tiergate dashboard: fetches /ui/data.json and draws each panel as inline SVG or a table.
// Every panel ends with data-state="ready" (and data-items, how many things it drew) or
// data-state="empty" when there is nothing to show yet; tests read those attributes.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const TIER_COLOURS = { "1": "#2f9e6e", "2": "#3d7dd8", "3": "#b25fd6" };
const PALETTE = ["#3d7dd8", "#2f9e6e", "#b25fd6", "#d9822b", "#d64545", "#1aa3a3", "#8a8f3c", "#6b7385"];
const params = new URLSearchParams(location.search);
const key = params.get("key");

function svg(name, attrs, ...children) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  for (const child of children) node.append(child);
  return node;
}

function html(name, attrs, ...children) {
  const node = document.createElement(name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  for (const child of children) node.append(child);
  return node;
}

function text(x, y, value, attrs) {
  return svg("text", { x, y, ...(attrs || {}) }, String(value));
}

function usd(value) {
  if (value === null || value === undefined) return "-";
  if (value === 0) return "$0";
  if (Math.abs(value) < 0.01) return "$" + value.toPrecision(2);
  return "$" + value.toFixed(2);
}

function pct(value) {
  return (value * 100).toFixed(1) + "%";
}

function ms(value) {
  return value === null || value === undefined ? "-" : value.toFixed(value < 10 ? 1 : 0) + " ms";
}

function panel(name, draw, data) {
  const section = document.querySelector(`[data-panel="${name}"]`);
  const body = section.querySelector(".body");
  body.replaceChildren();
  let items = 0;
  try {
    items = draw(body, data);
  } catch (error) {
    body.append(html("p", { class: "empty" }, "could not draw: " + error));
    section.dataset.state = "error";
    return;
  }
  if (!items) body.append(html("p", { class: "empty" }, "No data yet."));
  section.dataset.state = items ? "ready" : "empty";
  section.dataset.items = String(items);
}

function legend(entries) {
  const box = html("div", { class: "legend" });
  for (const [label, cls, colour] of entries) {
    const span = html("span", { class: cls || "" }, label);
    if (colour) span.style.setProperty("--c", colour);
    box.append(span);
  }
  return box;
}

// -- panels ------------------------------------------------------------------------------------

function drawCaps(body, data) {
  // One row per cap: its name and numbers above, the bar below, so it reads at any width.
  const caps = data.caps;
  const width = Math.max(body.clientWidth || 900, 300), row = 46;
  const height = caps.length * row + 6;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
                             "aria-label": "spend against caps" });
  caps.forEach((cap, i) => {
    const y = 4 + i * row;
    const top = Math.max(cap.budget_usd, cap.projection_usd, cap.spent_usd + cap.reserved_usd) || 1;
    const scale = (width - 8) / (top * 1.05);
    const spentW = cap.spent_usd * scale, heldW = cap.reserved_usd * scale;
    const used = cap.budget_usd ? (cap.spent_usd + cap.reserved_usd) / cap.budget_usd : 0;
    const over = cap.projection_usd > cap.budget_usd;
    chart.append(
      text(0, y + 12, cap.label, { "font-weight": 600 }),
      text(width, y + 12,
           `${usd(cap.spent_usd)} of ${usd(cap.budget_usd)} · ${pct(used)} · projected ${usd(cap.projection_usd)}`,
           { "text-anchor": "end", fill: over ? "#d64545" : "#1d2330" }),
      svg("rect", { x: 0, y: y + 18, width: width - 8, height: 16, fill: "#eef1f5" }),
      svg("rect", { x: 0, y: y + 18, width: Math.max(spentW, cap.spent_usd > 0 ? 2 : 0), height: 16,
                    fill: "#3d7dd8" }),
      svg("rect", { x: spentW, y: y + 18, width: heldW, height: 16, fill: "#9cc0f0" }),
      svg("line", { x1: cap.projection_usd * scale + 1.5, x2: cap.projection_usd * scale + 1.5,
                    y1: y + 15, y2: y + 37, stroke: "#d9822b", "stroke-width": 3 }),
      svg("line", { x1: cap.budget_usd * scale, x2: cap.budget_usd * scale,
                    y1: y + 14, y2: y + 38, stroke: "#1d2330", "stroke-width": 2 }),
    );
  });
  body.append(chart, legend([["spent", "sw-spent"], ["reserved", "sw-reserved"],
                             ["month-end projection", "sw-projection"], ["cap", "sw-cap"]]));
  body.append(html("p", { class: "muted" },
    `This month ${usd(data.spend.total_usd)} spent, ${usd(data.spend.reserved_usd)} reserved, ` +
    `projected ${usd(data.spend.projection_usd)} by month end.`));
  return caps.length;
}

function drawDays(body, data) {
  const days = data.days;
  const width = Math.max(body.clientWidth || 900, 300), height = 200, left = 50, bottom = 24, top = 14;
  const alert = data.daily_alert_usd;
  const max = Math.max(...days.map((d) => d.spent_usd), alert ? alert * 1.1 : 0) || 0.01;
  const plotH = height - bottom - top;
  const [year, month] = data.month.split("-").map(Number);
  const inMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();  // the rest of the month stays blank
  const step = (width - left) / inMonth;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "spend per day" });
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH * (1 - f);
    chart.append(svg("line", { x1: left, x2: width, y1: y, y2: y, stroke: "#dde1e8" }),
                 text(0, y + 4, usd(max * f), { class: "small" }));
  }
  days.forEach((d, i) => {
    const h = (d.spent_usd / max) * plotH;
    const x = left + i * step + step * 0.15;
    const bar = svg("rect", { x, y: top + plotH - h, width: step * 0.7, height: Math.max(h, d.requests ? 1 : 0),
                              fill: alert && d.spent_usd > alert ? "#d64545" : "#3d7dd8" });
    bar.append(svg("title", {}, `${d.day}: ${usd(d.spent_usd)}, ${d.requests} requests`));
    chart.append(bar);
    if (days.length <= 10 || i % 5 === 0 || i === days.length - 1) {
      chart.append(text(x, height - 8, d.day.slice(5), { class: "small" }));
    }
    if (d.requests) {
      chart.append(text(x, top + plotH - h - 4, `${usd(d.spent_usd)} · ${d.requests} req`, { class: "small" }));
    }
  });
  if (alert) {
    const y = top + plotH * (1 - alert / max);
    chart.append(svg("line", { x1: left, x2: width, y1: y, y2: y, stroke: "#d64545",
                               "stroke-dasharray": "6 4", "stroke-width": 1.5 }),
                 text(width - 120, y - 4, `daily alert ${usd(alert)}`, { fill: "#d64545" }));
  }
  body.append(chart, html("p", { class: "muted" }, "Bars: USD per day (UTC); numbers: requests."));
  return days.filter((d) => d.requests > 0).length;
}

function drawShare(body, counts, colours) {
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  if (!total) return 0;
  const width = 400, height = 34;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  let x = 0;
  entries.forEach(([name, n], i) => {
    const w = (n / total) * width;
    const rect = svg("rect", { x, y: 0, width: w, height, fill: colours(name, i) });
    rect.append(svg("title", {}, `${name}: ${n}`));
    chart.append(rect);
    if (w > 40) chart.append(text(x + 6, 21, pct(n / total), { fill: "#fff" }));
    x += w;
  });
  body.append(chart, legend(entries.map(([name, n], i) => [`${name}: ${n} (${pct(n / total)})`, "", colours(name, i)])));
  return entries.length;
}

function drawTiers(body, data) {
  const named = {};
  for (const [tier, n] of Object.entries(data.tiers)) named[tier === "none" ? "not served" : "tier " + tier] = n;
  return drawShare(body, named, (name) => TIER_COLOURS[name.replace("tier ", "")] || "#6b7385");
}

function drawRules(body, data) {
  const entries = Object.entries(data.rules).filter(([, n]) => n > 0);
  if (!entries.length) return 0;
  const width = 400, row = 22, label = 120;
  const max = Math.max(...entries.map(([, n]) => n));
  const chart = svg("svg", { viewBox: `0 0 ${width} ${entries.length * row + 4}`, role: "img" });
  entries.forEach(([rule, n], i) => {
    const y = 2 + i * row;
    const w = (n / max) * (width - label - 50);
    chart.append(text(0, y + 14, rule), svg("rect", { x: label, y, width: w, height: 16, fill: PALETTE[i % PALETTE.length] }),
                 text(label + w + 6, y + 13, n));
  });
  body.append(chart);
  return entries.length;
}

function drawFallback(body, data) {
  const f = data.fallback;
  if (!f.requests) return 0;
  const good = f.rate <= f.target;
  body.append(html("div", { class: "big " + (good ? "ok" : "bad") }, pct(f.rate)),
              html("p", { class: "muted" }, `${f.fell_back} of ${f.requests} requests moved past their first provider; target below ${pct(f.target)}.`));
  const width = 400, height = 40;
  const top = Math.max(f.target * 2, f.rate * 1.2);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  const x = (f.target / top) * width;
  chart.append(svg("rect", { x: 0, y: 8, width, height: 16, fill: "#eef1f5" }),
               svg("rect", { x: 0, y: 8, width: (f.rate / top) * width, height: 16, fill: good ? "#2f9e6e" : "#d64545" }),
               svg("line", { x1: x, x2: x, y1: 2, y2: 30, stroke: "#1d2330", "stroke-width": 2 }),
               text(Math.min(x + 4, width - 40), 38, "5%", { class: "small" }));
  body.append(chart);
  return 1;
}

function drawPercentiles(body, table, lines) {
  const entries = Object.entries(table);
  if (!entries.length) return 0;
  const width = 400, row = 34, label = 100;
  const max = Math.max(...entries.map(([, v]) => v.p95_ms), ...(lines.length ? [lines[lines.length - 1] * 1.1] : [])) || 1;
  const scale = (width - label - 60) / max;
  const height = entries.length * row + 16;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  entries.forEach(([provider, v], i) => {
    const y = 4 + i * row;
    chart.append(text(0, y + 12, provider), text(0, y + 25, `n=${v.n}`, { class: "small" }),
      svg("rect", { x: label, y, width: Math.max(v.p50_ms * scale, 1), height: 12, fill: "#3d7dd8" }),
      svg("rect", { x: label, y: y + 14, width: Math.max(v.p95_ms * scale, 1), height: 12, fill: "#b25fd6" }),
      text(label + v.p50_ms * scale + 4, y + 10, ms(v.p50_ms), { class: "small" }),
      text(label + v.p95_ms * scale + 4, y + 24, ms(v.p95_ms), { class: "small" }));
  });
  for (const line of lines) {
    const x = label + line * scale;
    chart.append(svg("line", { x1: x, x2: x, y1: 0, y2: height - 12, stroke: line >= 1000 ? "#d64545" : "#d9822b",
                               "stroke-dasharray": "4 3" }),
                 text(x - 14, height - 2, line + " ms", { class: "small" }));
  }
  body.append(chart, legend([["p50", "sw-p50"], ["p95", "sw-p95"]]));
  return entries.length;
}

function drawPrivacy(body, data) {
  const p = data.privacy;
  const used = p.classifications.filter((c) => c.requests > 0);
  if (!used.length) return 0;
  const clean = p.sensitive_egress === 0;
  body.append(html("div", { class: "big " + (clean ? "ok" : "bad"), "data-egress": p.sensitive_egress },
                   `Sensitive egress: ${p.sensitive_egress}`));
  const table = html("table", {});
  table.append(html("tr", {}, html("th", {}, "classification"), html("th", {}, "sensitive"),
                    html("th", { class: "num" }, "requests"), html("th", { class: "num" }, "kept local"),
                    html("th", { class: "num" }, "egress"), html("th", {}, "")));
  for (const c of used) {
    const bar = svg("svg", { viewBox: "0 0 100 10", width: 100, height: 10 });
    const local = (c.kept_local / c.requests) * 100;
    bar.append(svg("rect", { x: 0, y: 0, width: local, height: 10, fill: "#2f9e6e" }),
               svg("rect", { x: local, y: 0, width: 100 - local, height: 10, fill: c.sensitive && c.egress ? "#d64545" : "#3d7dd8" }));
    const row = html("tr", { class: c.sensitive ? "sensitive" : "" },
      html("td", {}, c.classification), html("td", {}, c.sensitive ? "yes" : "no"),
      html("td", { class: "num" }, c.requests), html("td", { class: "num" }, c.kept_local),
      html("td", { class: "num " + (c.sensitive && c.egress ? "bad" : "") }, c.egress), html("td", {}, bar));
    table.append(row);
  }
  body.append(html("div", { class: "scroll" }, table),
              legend([["kept on premises", "", "#2f9e6e"], ["left the premises", "", "#3d7dd8"]]));
  return used.length;
}

function drawRecent(body, data) {
  const rows = data.recent;
  if (!rows.length) return 0;
  const table = html("table", {});
  const head = ["time", "tenant", "provider", "tier", "rule", "classification", "outcome", "cost", "latency", "first token", "attempts"];
  table.append(html("tr", {}, ...head.map((h, i) => html("th", { class: i >= 7 ? "num" : "" }, h))));
  for (const r of rows) {
    const when = String(r.at).slice(0, 19).replace("T", " ");
    table.append(html("tr", {},
      html("td", {}, when), html("td", {}, r.tenant || "-"), html("td", {}, r.provider),
      html("td", {}, r.tier), html("td", {}, r.rule), html("td", {}, r.classification),
      html("td", { class: r.outcome === "ok" ? "" : "bad" }, r.outcome),
      html("td", { class: "num" }, "$" + r.cost_usd), html("td", { class: "num" }, ms(r.latency_ms)),
      html("td", { class: "num" }, ms(r.ttft_ms)), html("td", { class: "num" }, r.attempts)));
  }
  body.append(html("div", { class: "scroll" }, table));
  return rows.length;
}

// -- loading ------------------------------------------------------------------------------------

async function load() {
  const status = document.getElementById("status");
  let data;
  try {
    const response = await fetch("/ui/data.json", {
      headers: key ? { Authorization: "Bearer " + key } : {},
      cache: "no-store",
      credentials: "omit",
    });
    data = await response.json();
    if (!response.ok) throw new Error(data.error ? data.error.message : response.status);
  } catch (error) {
    status.textContent = "could not load the data: " + error.message;
    document.body.dataset.state = "error";
    return;
  }
  panel("caps", drawCaps, data);
  panel("days", drawDays, data);
  panel("tiers", drawTiers, data);
  panel("rules", drawRules, data);
  panel("fallback", drawFallback, data);
  panel("latency", (b, d) => drawPercentiles(b, d.latency, [600, 1000]), data);
  panel("ttft", (b, d) => drawPercentiles(b, d.ttft, []), data);
  panel("privacy", drawPrivacy, data);
  panel("recent", drawRecent, data);
  status.textContent = `${data.month} · updated ${data.generated_at.slice(11, 19)} UTC · ` +
                       `mix, latency and recent: the last ${data.window} attempts · ` +
                       `fallback rate since ${data.process_since.slice(0, 19).replace("T", " ")} UTC`;
  document.body.dataset.state = "ready";
}

load();
setInterval(load, 15000);
