// The comparison page: POST /v1/compare, then GET /v1/tree.svg with the path's node ids highlighted.
// No external assets; everything comes from this server.
"use strict";

const $ = (id) => document.getElementById(id);
const MAX_RATING = 4;

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = $("api-key").value || sessionStorage.getItem("treereward-key") || "";
  if (key) { h["Authorization"] = "Bearer " + key; sessionStorage.setItem("treereward-key", key); }
  return h;
}

async function failure(response) {
  try {
    const body = await response.json();
    return body.error ? body.error.message : response.statusText;
  } catch { return response.status + " " + response.statusText; }
}

function bar(value, side) {
  const cell = document.createElement("td");
  cell.className = "bar";
  const track = document.createElement("div");
  track.className = "track";
  const fill = document.createElement("div");
  fill.className = "fill " + side;
  fill.style.width = (100 * Math.min(Math.max(value, 0), MAX_RATING) / MAX_RATING).toFixed(1) + "%";
  const text = document.createElement("span");
  text.className = "value";
  text.textContent = value.toFixed(2);
  track.append(fill, text);
  cell.append(track);
  return cell;
}

function show(comparison) {
  const verdict = $("verdict");
  if (comparison.tie) {
    verdict.textContent = "No preference (P = 0.500)";
    verdict.className = "";
  } else {
    const p = comparison.preference === 0 ? comparison.probability : 1 - comparison.probability;
    verdict.textContent = `Response ${comparison.preference + 1} is better (P = ${p.toFixed(3)})`;
    verdict.className = comparison.preference === 0 ? "r1" : "r2";
  }
  const body = $("ratings").tBodies[0];
  body.replaceChildren();
  comparison.attributes.forEach((name, k) => {
    const row = document.createElement("tr");
    const label = document.createElement("th");
    label.textContent = name;
    row.append(label, bar(comparison.rewards[0][k], "r1"), bar(comparison.rewards[1][k], "r2"));
    body.append(row);
  });
  const truncated = comparison.truncated.map((t, i) => t ? `response ${i + 1}` : null).filter(Boolean);
  $("warnings").hidden = truncated.length === 0;
  $("warnings").textContent = truncated.length ? `Too long for the encoder, the start of the conversation was dropped: ${truncated.join(", ")}.` : "";
  $("path").textContent = comparison.path.explanation;
  $("mirror").textContent = comparison.mirror_path ? "Responses swapped: " + comparison.mirror_path.explanation : "";
}

async function compare(event) {
  event.preventDefault();
  const button = $("compare");
  button.disabled = true;
  $("error").hidden = true;
  try {
    const request = { prompt: $("prompt").value, response_1: $("response-1").value, response_2: $("response-2").value };
    const response = await fetch("/v1/compare", { method: "POST", headers: headers(), body: JSON.stringify(request) });
    if (!response.ok) throw new Error(await failure(response));
    const comparison = await response.json();
    show(comparison);
    const nodes = comparison.path.steps.map((s) => s.node).concat([comparison.path.leaf]);
    const svg = await fetch("/v1/tree.svg?path=" + nodes.join(","), { headers: headers() });
    if (!svg.ok) throw new Error(await failure(svg));
    // The SVG is the server's own drawing of the model's tree (its text escaped by the server).
    $("tree").innerHTML = await svg.text();
    $("result").hidden = false;
    document.body.dataset.state = "done";
  } catch (e) {
    $("error").textContent = e.message;
    $("error").hidden = false;
    document.body.dataset.state = "error";
  } finally {
    button.disabled = false;
  }
}

async function describeModel() {
  try {
    const response = await fetch("/v1/model", { headers: headers() });
    if (!response.ok) return;
    const model = await response.json();
    const encoder = model.encoder && model.encoder.id ? model.encoder.id : "";
    $("model").textContent = "Model: " + encoder;
  } catch { /* the page works without the description */ }
}

$("compare-form").addEventListener("submit", compare);
describeModel();
