// oncall-gym's web UI: evals, scorecards, comparisons, run timelines and the
// scenario library, read from the /v1 API (or, in a report made by
// `oncall-gym report`, from the answers embedded in the page). Every text
// from a scenario, an agent or the store is set with textContent, never as
// HTML, so an agent's reasoning cannot inject markup.
"use strict";

const REPORT = (() => {
  const element = document.getElementById("oncall-report");
  return element ? JSON.parse(element.textContent) : null;
})();
const TOKEN_KEY = "oncall-gym-token";
const MAX_FOLLOWED = 4;
const MAX_LISTED_RUNS = 1000;
const MAX_SHOWN_RESULT = 4000;

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// ------------------------------------------------------------------ helpers

function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function svg(tag, attributes, ...children) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes || {})) element.setAttribute(name, String(value));
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const short = (id) => (id ? String(id).slice(0, 8) : "");
const fixed = (value, digits = 3) => (typeof value === "number" ? value.toFixed(digits) : "–");
const percent = (value) => (typeof value === "number" ? `${(value * 100).toFixed(1)}%` : "–");
const signed = (value) => (typeof value === "number" ? `${value >= 0 ? "+" : ""}${value.toFixed(3)}` : "–");
const pill = (text, kind) => h("span", { class: `pill ${kind || ""}` }, text);
const verdictPill = (verdict) =>
  pill(verdict, ["correct", "right", "passed", "completed", "verified"].includes(verdict) ? "good"
    : ["harmful", "wrong", "failed", "none"].includes(verdict) ? "bad" : "warn");

function link(href, text) {
  return h("a", { href }, text);
}

function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(([, value]) => value !== undefined).map(([name, value]) => [
    h("dt", null, name),
    h("dd", null, value === null ? "–" : value),
  ]));
}

function bounded(value) {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  if (text.length <= MAX_SHOWN_RESULT) return text;
  return `${text.slice(0, MAX_SHOWN_RESULT)}\n… (${text.length - MAX_SHOWN_RESULT} more characters)`;
}

// --------------------------------------------------------------------- data

async function api(path) {
  if (REPORT) {
    if (Object.prototype.hasOwnProperty.call(REPORT, path)) return REPORT[path];
    throw new ApiError(404, "not_found", "this report does not hold that page");
  }
  const headers = { Accept: "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, { headers });
  let body = null;
  try {
    body = await response.json();
  } catch (_) {
    body = null;
  }
  if (!response.ok) {
    const error = (body && body.error) || {};
    throw new ApiError(response.status, error.code || "error", error.message || response.statusText);
  }
  return body;
}

// Server-Sent Events over fetch, so that a token can go with them.
async function follow(path, onEvent, signal) {
  const headers = { Accept: "text/event-stream" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, { headers, signal });
  if (!response.ok || !response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let name = "message";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, end).replace(/\r$/, "");
      buffer = buffer.slice(end + 1);
      if (line.startsWith("event: ")) name = line.slice(7);
      else if (line.startsWith("data: ")) onEvent(name, JSON.parse(line.slice(6)));
      else if (line === "") name = "message";
    }
  }
}

// -------------------------------------------------------------------- pages

let leaving = new AbortController();

function route() {
  leaving.abort();
  leaving = new AbortController();
  const hash = location.hash.replace(/^#/, "") || (REPORT ? REPORT["#start"] || "/evals" : "/evals");
  const [path, query] = hash.split("?");
  const params = new URLSearchParams(query || "");
  let parts;
  try {
    parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  } catch (_) {
    parts = ["not-a-page"];
  }
  renderNav(parts[0] || "evals");
  const main = document.getElementById("main");
  const page =
    parts[0] === "evals" && parts.length === 1 ? evalsPage()
    : parts[0] === "evals" && parts.length === 2 ? evalPage(parts[1])
    : parts[0] === "compare" && parts.length === 1 ? comparePage(params.get("a"), params.get("b"))
    : parts[0] === "runs" && parts.length === 2 ? runPage(parts[1], params.get("eval"))
    : parts[0] === "scenarios" && parts.length === 1 ? scenariosPage()
    : parts[0] === "scenarios" && parts.length === 2 ? scenarioPage(parts[1])
    : Promise.reject(new ApiError(404, "not_found", "there is no such page"));
  main.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  page.then(
    (content) => {
      main.replaceChildren(...[content].flat().filter((child) => child !== null && child !== undefined && child !== false));
      document.title = `oncall-gym: ${(main.querySelector("h1") || {}).textContent || ""}`;
    },
    (error) => main.replaceChildren(...problemPage(error)),
  );
}

function renderNav(current) {
  const items = REPORT
    ? [["evals", "Evals"], ["scenarios", "Scenarios"]]
    : [["evals", "Evals"], ["compare", "Compare"], ["scenarios", "Scenarios"]];
  document.getElementById("nav").replaceChildren(...items.map(([key, text]) =>
    h("a", { href: `#/${key}`, "aria-current": key === current || (key === "evals" && current === "runs") ? "page" : null }, text)));
}

function problemPage(error) {
  if (error instanceof ApiError && error.status === 401) return tokenForm();
  if (error instanceof ApiError && error.status === 404) {
    return [h("h1", null, "Not found"), h("p", { class: "error", role: "alert" }, error.message),
      h("p", null, link("#/evals", "Back to the evals"))];
  }
  return [h("h1", null, "Something went wrong"), h("p", { class: "error", role: "alert" }, String(error.message || error)),
    h("p", null, link("#/evals", "Back to the evals"))];
}

function tokenForm() {
  const input = h("input", { type: "password", id: "token", autocomplete: "off", required: true });
  const form = h("form", { class: "form", onsubmit: (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value);
    route();
  } }, h("label", { for: "token" }, "Bearer token", input), h("button", { type: "submit" }, "Use it"));
  return [h("h1", null, "This server needs a token"),
    h("p", null, "It is kept in this tab only (session storage)."), form];
}

// The evals, newest first, with live progress for those still running.
async function evalsPage() {
  const { evals } = await api("/v1/evals");
  let followed = 0;
  const rows = evals.map((evaluation) => {
    const passK = h("td", { class: "num" }, "…");
    const status = h("td", null, verdictPill(evaluation.status));
    const runs = h("td", { class: "num" }, evaluation.runs);
    const passRate = h("td", { class: "num" }, evaluation.runs ? percent(evaluation.passed / evaluation.runs) : "–");
    const mean = h("td", { class: "num" }, evaluation.runs ? fixed(evaluation.mean_score) : "–");
    api(`/v1/evals/${evaluation.id}`).then((view) => {
      const card = view.scorecard;
      passK.textContent = card ? `${fixed(card.overall.pass_hat_k)} (k=${card.k})` : "–";
      // Live progress for evals the workers still have rows of (an eval
      // run by the CLI has none), a few at a time: a browser holds few
      // connections to one server.
      const open = evaluation.status === "queued" || evaluation.status === "running";
      if (!REPORT && open && view.progress.total > 0 && followed < MAX_FOLLOWED) {
        followed += 1;
        follow(`/v1/evals/${evaluation.id}/events`, (name, event) => {
          if (name !== "progress" && name !== "end") return;
          status.replaceChildren(verdictPill(event.status),
            ` ${event.progress.done + event.progress.failed}/${event.progress.total}`);
          runs.textContent = event.runs;
          passRate.textContent = event.runs ? percent(event.passed / event.runs) : "–";
          mean.textContent = event.runs ? fixed(event.mean_score) : "–";
        }, leaving.signal).catch(() => {});
      }
    }, () => { passK.textContent = "–"; });
    return h("tr", { "data-eval": evaluation.id },
      h("td", null, link(`#/evals/${evaluation.id}`, short(evaluation.id))),
      h("td", null, evaluation.started_at),
      h("td", null, evaluation.agent),
      h("td", null, evaluation.model || "–"),
      status, runs, passRate, mean, passK,
      h("td", { class: "num" }, evaluation.tokens || "–"),
      h("td", { class: "num" }, evaluation.cost_usd === null ? "–" : `$${evaluation.cost_usd.toFixed(4)}`));
  });
  return [
    h("h1", null, "Evals"),
    REPORT ? h("p", { class: "banner" }, "A report made by oncall-gym report: it opens with no server.") : null,
    evals.length === 0 ? h("p", null, "No evals yet: `oncall-gym eval`, or POST /v1/evals.")
      : h("div", { class: "scroll" }, h("table", { id: "evals" },
        h("thead", null, h("tr", null, ["Eval", "Started", "Agent", "Model", "Status", "Runs", "Pass rate", "Mean score", "pass^k", "Tokens", "Cost"]
          .map((name, index) => h("th", { scope: "col", class: index >= 5 && index !== 4 ? "num" : null }, name)))),
        h("tbody", null, rows))),
  ];
}

const DIFFICULTY_RANK = { easy: 0, medium: 1, hard: 2 };

const SCORECARD_COLUMNS = [
  ["id", "Scenario", false], ["difficulty", "Difficulty", false], ["category", "Category", false],
  ["runs", "Runs", true], ["mean_score", "Mean score", true], ["pass_rate", "Pass rate", true],
  ["pass_hat_k", "pass^k", true], ["localization", "Localization", true],
  ["root_cause_category", "Root cause", true], ["mean_steps", "Steps", true],
];

async function evalPage(id) {
  const view = await api(`/v1/evals/${encodeURIComponent(id)}`);
  const evaluation = view.eval;
  const { runs } = await api(`/v1/runs?eval=${evaluation.id}&limit=${MAX_LISTED_RUNS}`);
  const card = view.scorecard;
  const scenarios = card ? card.scenarios : [];
  const details = await Promise.all(scenarios.map((scenario) =>
    api(`/v1/scenarios/${encodeURIComponent(scenario.id)}`).catch(() => ({}))));
  const rows = scenarios.map((scenario, index) => ({
    ...scenario, difficulty: details[index].difficulty || "–", category: details[index].category || "–",
  }));
  const body = h("tbody");
  let sort = { key: "id", ascending: true };
  const headers = SCORECARD_COLUMNS.map(([key, name, numeric]) => {
    const button = h("button", { type: "button", onclick: () => {
      sort = { key, ascending: sort.key === key ? !sort.ascending : true };
      draw();
    } }, name);
    return h("th", { scope: "col", class: numeric ? "num" : null, "data-key": key }, button);
  });
  function draw() {
    const value = (row) => (sort.key === "difficulty" ? DIFFICULTY_RANK[row.difficulty] ?? 9 : row[sort.key]);
    rows.sort((a, b) => {
      const order = value(a) < value(b) ? -1 : value(a) > value(b) ? 1 : 0;
      const tie = a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
      return (sort.ascending ? order : -order) || tie;
    });
    headers.forEach((header) => header.setAttribute("aria-sort",
      header.dataset.key === sort.key ? (sort.ascending ? "ascending" : "descending") : "none"));
    body.replaceChildren(...rows.map((row) => h("tr", { "data-scenario": row.id },
      h("td", null, link(`#/evals/${evaluation.id}?scenario=${encodeURIComponent(row.id)}`, row.id)),
      h("td", null, row.difficulty), h("td", null, row.category),
      h("td", { class: "num" }, row.runs), h("td", { class: "num" }, fixed(row.mean_score)),
      h("td", { class: "num" }, percent(row.pass_rate)), h("td", { class: "num" }, fixed(row.pass_hat_k)),
      h("td", { class: "num" }, percent(row.localization)), h("td", { class: "num" }, percent(row.root_cause_category)),
      h("td", { class: "num" }, fixed(row.mean_steps, 1)))));
  }
  draw();
  const wanted = new URLSearchParams(location.hash.split("?")[1] || "").get("scenario");
  const shown = runs.filter((run) => !wanted || run.scenario === wanted)
    .sort((a, b) => (a.scenario === b.scenario ? a.trial - b.trial : a.scenario < b.scenario ? -1 : 1));
  return [
    h("h1", null, `Eval ${short(evaluation.id)}`),
    facts([["Agent", evaluation.agent], ["Model", evaluation.model], ["Status", verdictPill(evaluation.status)],
      ["Started", evaluation.started_at], ["Finished", evaluation.finished_at],
      ["Progress", view.progress.total ? `${view.progress.done} done, ${view.progress.failed} failed, ${view.progress.queued + view.progress.claimed} to run` : undefined],
      ["Runs", evaluation.runs], ["Pass rate", evaluation.runs ? percent(evaluation.passed / evaluation.runs) : "–"],
      ["Mean score", fixed(evaluation.mean_score)],
      ["pass^k", card ? `${fixed(card.overall.pass_hat_k)} (k=${card.k})` : "–"]]),
    h("h2", null, "Scorecard"),
    card ? h("div", { class: "scroll" }, h("table", { id: "scorecard" }, h("thead", null, h("tr", null, headers)), body))
      : h("p", null, "No runs yet."),
    h("h2", null, wanted ? `Runs of ${wanted}` : "Runs"),
    runs.length < evaluation.runs ? h("p", { class: "muted" }, `The newest ${runs.length} of ${evaluation.runs} runs.`) : null,
    wanted ? h("p", null, link(`#/evals/${evaluation.id}`, "All runs")) : null,
    h("div", { class: "scroll" }, h("table", { id: "runs" },
      h("thead", null, h("tr", null, ["Scenario", "Trial", "Status", "Ending", "Score", "Passed", "Steps", "Run"]
        .map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", null, shown.map((run) => h("tr", null,
        h("td", null, run.scenario), h("td", { class: "num" }, run.trial), h("td", null, run.status),
        h("td", null, run.termination || "–"), h("td", { class: "num" }, fixed(run.score)),
        h("td", null, verdictPill(run.passed ? "passed" : "failed")), h("td", { class: "num" }, run.steps),
        h("td", null, link(`#/runs/${run.run_id}?eval=${evaluation.id}`, short(run.run_id)))))))),
  ];
}

async function comparePage(a, b) {
  if (REPORT) throw new ApiError(404, "not_found", "comparisons need the server");
  const { evals } = await api("/v1/evals");
  const choice = (name, selected) => h("label", null, name === "a" ? "Eval A (before)" : "Eval B (after)",
    h("select", { name, id: `compare-${name}` }, evals.map((evaluation) => h("option", {
      value: evaluation.id, selected: evaluation.id === selected || evaluation.id.startsWith(selected || "\u0000"),
    }, `${short(evaluation.id)} ${evaluation.agent} (${evaluation.runs} runs, ${evaluation.started_at})`))));
  const form = h("form", { class: "form", onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(form);
    location.hash = `#/compare?a=${data.get("a")}&b=${data.get("b")}`;
  } }, choice("a", a || (evals[1] && evals[1].id)), choice("b", b || (evals[0] && evals[0].id)),
  h("button", { type: "submit" }, "Compare"));
  const content = [h("h1", null, "Compare two evals"), form];
  if (!a || !b) return [...content, h("p", { class: "muted" }, "Choose two evals that share scenarios.")];
  const comparison = await api(`/v1/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
  const interval = (change) => `${signed(change.delta)} [${signed(change.low)}, ${signed(change.high)}]`;
  const row = (change, kind) => h("tr", {
    class: kind || (comparison.newly_passing.includes(change.id) ? "newly-passing"
      : comparison.newly_failing.includes(change.id) ? "newly-failing" : null),
    "data-scenario": change.id,
  },
  h("td", null, change.id), h("td", { class: "num" }, `${change.runs_a}/${change.runs_b}`),
  h("td", { class: "num" }, fixed(change.mean_score_a)), h("td", { class: "num" }, fixed(change.mean_score_b)),
  h("td", { class: "num" }, interval(change.mean_score)),
  h("td", { class: "num" }, fixed(change.pass_rate_a)), h("td", { class: "num" }, fixed(change.pass_rate_b)),
  h("td", { class: "num" }, interval(change.pass_rate)), h("td", null, change.mean_score.verdict));
  return [...content,
    h("div", { class: "scroll" }, h("table", { id: "comparison" },
      h("thead", null, h("tr", null, ["Scenario", "Runs A/B", "Score A", "Score B", "Δ score [95% CI]", "Pass A", "Pass B", "Δ pass [95% CI]", "Change"]
        .map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", null, comparison.scenarios.map((change) => row(change)), row({ ...comparison.overall, id: "overall" }, "overall")))),
    h("p", null, `Newly passing: ${comparison.newly_passing.join(", ") || "none"}. Newly failing: ${comparison.newly_failing.join(", ") || "none"}.`),
    h("p", { class: "muted" }, `Paired bootstrap over scenarios and trials, ${comparison.resamples} resamples; “unclear” means the interval holds 0.`)];
}

// A run: its verdict, the audit chain, the hypothesis chart, the timeline,
// and the ground truth beside what the agent concluded.
async function runPage(runId, evalId) {
  const suffix = evalId ? `?eval=${encodeURIComponent(evalId)}` : "";
  const view = await api(`/v1/runs/${encodeURIComponent(runId)}${suffix}`);
  // A run imported from an `eval --out` line has no audit log: its page
  // still shows what the record holds.
  const chain = await api(`/v1/runs/${encodeURIComponent(runId)}/events${suffix}`).catch((error) => {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  });
  const run = view.run;
  const score = view.record.score || {};
  const events = chain ? chain.events.filter(Boolean) : [];
  const ended = events.find((event) => ENDINGS.includes(event.type));
  const answer = await api(`/v1/scenarios/${encodeURIComponent(run.scenario)}/answer`).catch(() => null);
  return [
    h("h1", null, `Run ${short(run.run_id)} of ${run.scenario}`),
    facts([["Agent", run.agent], ["Eval", run.eval_id ? link(`#/evals/${run.eval_id}`, short(run.eval_id)) : "–"],
      ["Trial", run.trial], ["Seed", run.seed], ["Status", verdictPill(run.status)], ["Ending", run.termination || "–"],
      ["Steps", run.steps], ["Score", fixed(run.score)]]),
    h("div", { class: "grid" }, verdictCard(score, ended), chainCard(chain)),
    h("h2", null, "Hypothesis confidence"),
    chain ? confidenceChart(events) : h("p", { class: "muted", id: "chart" }, NO_LOG),
    h("h2", null, "Timeline"),
    chain ? timeline(events) : h("p", { class: "muted", id: "timeline" }, NO_LOG),
    h("h2", null, "Ground truth"),
    groundTruth(answer, ended, score),
  ];
}

function concludedText(resolution) {
  if (!resolution) return "nothing: the run ended without an answer";
  if (resolution.kind === "escalation") {
    return `escalated to ${resolution.target || resolution.team || "–"}: ${resolution.reason || ""}`;
  }
  const actions = (resolution.actions || []).map((action) => `${action.kind} ${action.target || ""}`.trim());
  return `proposed: ${[resolution.mitigation, ...actions].filter(Boolean).join("; ") || "–"}`;
}

function verdictCard(score, ended) {
  const resolution = ended && ended.payload && ended.payload.resolution;
  const concluded = concludedText(resolution);
  const evidence = score.evidence || {};
  const decided = score.decided_by ? Object.entries(score.decided_by).map(([k, v]) => `${k}: ${v}`).join(", ") : "–";
  return h("section", { class: "card", id: "verdict", "aria-label": "Verdict" },
    h("h3", null, "Verdict ", verdictPill(score.passed ? "passed" : "failed")),
    facts([["Concluded", concluded], ["Graded from", score.graded_from || "–"],
      ["Mitigation", h("span", { id: "mitigation-verdict" }, score.mitigation ? verdictPill(score.mitigation) : "–")], ["Decided by", decided],
      ["Escalation", score.escalation ? `expected ${score.escalation.expected}, escalated ${score.escalation.escalated}, right call ${score.escalation.right_call}` : "–"],
      ["Localization", score.localization ? verdictPill(score.localization) : "–"],
      ["Root cause", score.root_cause_category ? verdictPill(score.root_cause_category) : "–"],
      ["Evidence found", h("span", { id: "evidence-found" }, (evidence.ids || []).join(", ") || "none")],
      ["Evidence missed", h("span", { id: "evidence-missed" }, (evidence.missing || []).join(", ") || "none")],
      ["Score", `${fixed(score.total)} = ${Object.entries(score.components || {}).map(([k, v]) => `${k} ${fixed(v, 2)}`).join(", ")}`]]),
    (score.actions || []).length ? h("ul", null, score.actions.map((action) =>
      h("li", null, `${action.kind} ${action.target || ""}: `, verdictPill(action.verdict), action.remedy ? ` (${action.remedy})` : ""))) : null);
}

const NO_LOG = "This run has no audit log in the store (it was imported from an eval --out line).";

function chainCard(chain) {
  if (!chain) {
    return h("section", { class: "card", id: "chain", "aria-label": "Audit chain" },
      h("h3", null, "Audit chain ", verdictPill("none")), h("p", null, NO_LOG));
  }
  return h("section", { class: "card", id: "chain", "aria-label": "Audit chain" },
    h("h3", null, "Audit chain ", verdictPill(chain.verified ? "verified" : "failed")),
    facts([["Head hash", h("code", null, chain.head_hash)], ["Events", chain.events.length],
      ["Problem", chain.problem || "none"]]));
}

function confidenceChart(events) {
  const points = events.filter((event) => event.type === "hypothesis_created" || event.type === "hypothesis_updated")
    .map((event) => ({ step: event.step || 0, confidence: event.payload.hypothesis.confidence, status: event.payload.hypothesis.status }));
  if (points.length === 0) return h("p", { class: "muted", id: "chart" }, "The agent recorded no hypothesis.");
  const steps = Math.max(...events.map((event) => event.step || 0), 1);
  const [width, height, left, bottom, top, right] = [720, 240, 44, 28, 12, 16];
  const x = (step) => left + ((width - left - right) * step) / steps;
  const y = (confidence) => top + (height - top - bottom) * (1 - confidence);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((value) => [
    svg("line", { class: "grid-line", x1: left, x2: width - right, y1: y(value), y2: y(value) }),
    svg("text", { x: 4, y: y(value) + 4 }, value.toFixed(2))]);
  const ticks = Array.from({ length: steps }, (_, index) => index + 1)
    .filter((step) => steps <= 20 || step % Math.ceil(steps / 20) === 0)
    .map((step) => svg("text", { x: x(step) - 4, y: height - 8 }, step));
  const path = points.map((point, index) => `${index ? "L" : "M"}${x(point.step).toFixed(1)},${y(point.confidence).toFixed(1)}`).join(" ");
  const changes = points.filter((point, index) => index > 0 && point.status !== points[index - 1].status);
  return h("figure", { class: "chart", id: "chart" },
    svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `Hypothesis confidence over ${steps} steps` },
      grid, ticks,
      svg("line", { class: "axis", x1: left, x2: left, y1: top, y2: height - bottom }),
      svg("line", { class: "axis", x1: left, x2: width - right, y1: height - bottom, y2: height - bottom }),
      svg("path", { class: "line", d: path }),
      points.map((point) => svg("circle", { class: "point", cx: x(point.step), cy: y(point.confidence), r: 3.5 },
        svg("title", null, `step ${point.step}: ${point.confidence.toFixed(2)} (${point.status})`))),
      changes.map((point) => svg("rect", { class: "status", x: x(point.step) - 4, y: y(point.confidence) - 4, width: 8, height: 8 },
        svg("title", null, `step ${point.step}: status ${point.status}`)))),
    h("figcaption", { class: "muted" }, "Confidence (0 to 1) by step; squares mark a change of status: ",
      points.map((point) => `${point.step}:${point.status}`).filter((text, index, all) => all.indexOf(text) === index).join(", ")));
}

const ENDINGS = ["run_completed", "run_escalated", "run_failed"];

const TIMELINE_EVENTS = new Set(["decision_made", "tool_called", "tool_result_received", "observation_recorded",
  "hypothesis_created", "hypothesis_updated", "step_failed", "model_called"]);

function timeline(events) {
  const steps = new Map();
  for (const event of events) {
    if (!TIMELINE_EVENTS.has(event.type) || event.step === null || event.step === undefined) continue;
    if (!steps.has(event.step)) steps.set(event.step, []);
    steps.get(event.step).push(event);
  }
  return h("ol", { class: "timeline", id: "timeline" }, [...steps.entries()].map(([step, stepEvents]) => {
    const decision = stepEvents.find((event) => event.type === "decision_made");
    const choice = decision && decision.payload.decision;
    const failed = stepEvents.some((event) => event.type === "step_failed");
    const ending = choice && choice.action !== "call_tool";
    return h("li", { class: failed ? "failed" : ending ? "ending" : null, "data-step": step },
      h("div", { class: "step-head" }, `Step ${step}: `, !choice ? "no decision"
        : choice.action === "call_tool" ? `call ${choice.tool_name}` : choice.action.replace(/_/g, " ")),
      stepEvents.map((event) => timelineEntry(event)));
  }));
}

function timelineEntry(event) {
  const payload = event.payload || {};
  switch (event.type) {
    case "decision_made": {
      const decision = payload.decision || {};
      const { action, reasoning, ...rest } = decision;
      return h("div", { class: "decision" }, h("div", null, h("strong", null, "Reasoning: "), reasoning || "–"),
        Object.keys(rest).length ? h("pre", null, bounded(rest)) : null);
    }
    case "tool_called":
      return null;
    case "tool_result_received": {
      const result = payload.result || {};
      return h("details", { class: "result" },
        h("summary", null, `Result of ${result.tool_name}: `, result.success ? "ok" : "failed",
          result.truncation ? ` (truncated: ${JSON.stringify(result.truncation)})` : ""),
        h("pre", null, bounded(result.success ? result.data : result.errors)));
    }
    case "observation_recorded": {
      const observation = payload.observation || {};
      return h("div", null, h("strong", null, "Observed: "), observation.summary,
        observation.significant ? [" ", pill("significant", "warn")] : null);
    }
    case "hypothesis_created":
    case "hypothesis_updated": {
      const hypothesis = payload.hypothesis || {};
      return h("div", null, h("strong", null, event.type === "hypothesis_created" ? "Hypothesis: " : "Hypothesis now: "),
        hypothesis.statement, ` (confidence ${fixed(hypothesis.confidence, 2)}, ${hypothesis.status})`);
    }
    case "step_failed":
      return h("div", { class: "error" }, h("strong", null, "Step failed: "), payload.reason || JSON.stringify(payload));
    case "model_called": {
      const call = payload.call || {};
      return h("div", { class: "muted" }, `Model ${call.model}: ${call.input_tokens} tokens in, ${call.output_tokens} out`);
    }
    default:
      return null;
  }
}

function groundTruth(answer, ended, score) {
  if (!answer) return h("p", { class: "muted", id: "ground-truth" }, "The scenario is not in this library, so its answer is not known here.");
  const truth = answer.ground_truth || {};
  const cause = truth.root_cause || {};
  const resolution = ended && ended.payload && ended.payload.resolution;
  const mitigations = truth.mitigations || {};
  return h("div", { class: "grid", id: "ground-truth" },
    h("section", { class: "card" }, h("h3", null, "What the agent concluded"),
      facts([["Answer", concludedText(resolution)],
        ["Root cause", resolution && resolution.root_cause ? `${resolution.root_cause.service} (${resolution.root_cause.category})` : "–"],
        ["Confidence", resolution && typeof resolution.confidence === "number" ? fixed(resolution.confidence, 2) : "–"],
        ["Localization", score.localization || "–"]])),
    h("section", { class: "card" }, h("h3", null, "What happened"),
      facts([["Root cause", cause.statement], ["Service", cause.service], ["Category", cause.category],
        ["Expected", truth.expected_outcome ? truth.expected_outcome.kind : "–"],
        ["Right answers", (mitigations.correct || []).map((item) => item.label).join("; ") || "–"],
        ["Harmful", (mitigations.harmful || []).map((item) => item.label).join("; ") || "–"],
        ["Key evidence", (truth.key_evidence || []).map((item) => `${item.id}: ${item.description}`).join("; ") || "–"]]),
      h("p", null, answer.summary)));
}

async function scenariosPage() {
  const listed = await api("/v1/scenarios");
  const details = await Promise.all(listed.map((entry) =>
    api(`/v1/scenarios/${encodeURIComponent(entry.id)}`).catch(() => ({ id: entry.id, difficulty: entry.difficulty }))));
  return [h("h1", null, "Scenarios"),
    h("div", { class: "scroll" }, h("table", { id: "scenarios" },
      h("thead", null, h("tr", null, ["Scenario", "Title", "Difficulty", "Category", "Alerting service"].map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", null, details.map((detail) => h("tr", null,
        h("td", null, link(`#/scenarios/${encodeURIComponent(detail.id)}`, detail.id)), h("td", null, detail.title || "–"),
        h("td", null, detail.difficulty || "–"), h("td", null, detail.category || "–"),
        h("td", null, detail.incident ? detail.incident.service : "–"))))))];
}

async function scenarioPage(id) {
  const detail = await api(`/v1/scenarios/${encodeURIComponent(id)}`);
  const incident = detail.incident || {};
  const holder = h("div", { id: "answer" });
  const reveal = h("button", { type: "button", class: "primary", id: "reveal", onclick: async () => {
    reveal.disabled = true;
    try {
      const answer = await api(`/v1/scenarios/${encodeURIComponent(id)}/answer`);
      holder.replaceChildren(groundTruth(answer, null, {}));
      reveal.remove();
    } catch (error) {
      holder.replaceChildren(h("p", { class: "error", role: "alert" }, error.message));
      reveal.disabled = false;
    }
  } }, "Show the answer");
  return [h("h1", null, detail.title || detail.id),
    facts([["Scenario", detail.id], ["Difficulty", detail.difficulty], ["Category", detail.category],
      ["Tags", (detail.tags || []).join(", ") || "–"]]),
    h("h2", null, "The alert"),
    facts([["Service", incident.service], ["Says", incident.description], ["Severity", incident.severity],
      ["Fired at", incident.created_at],
      ["Labels", Object.entries(incident.tags || {}).map(([k, v]) => `${k}=${v}`).join(", ") || "–"]]),
    h("h2", null, "The answer"),
    h("p", { class: "muted" }, "Hidden until you ask, so you can investigate it first."),
    reveal, holder];
}

window.addEventListener("hashchange", route);
route();
