// Spend: daily totals summed per model, key or team over a period (GET /spend/daily) as a table and
// a bar chart, and the most recent calls (GET /spend/logs).
import { api } from "./api.js";
import { barChart } from "./chart.js";
import { count, el, heading, orDash, shortHash, table, usd, when } from "./dom.js";

export const id = "spend";
export const title = "Spend";
const GROUPS = [
  ["model", "Model"],
  ["key_hash", "Key"],
  ["team_id", "Team"],
  ["user_id", "User"],
  ["end_user", "End user"],
  ["provider", "Provider"],
];
const PERIODS = [1, 7, 30, 90];
const CHART_ROWS = 12;
const RECENT_CALLS = 50;

function dayOffset(days) {
  const moment = new Date(Date.now() - days * 86_400_000);
  return moment.toISOString().slice(0, 10);
}

function totals(rows, groupBy) {
  const byGroup = new Map();
  for (const row of rows) {
    const name = row[groupBy] ?? "(none)";
    const sum = byGroup.get(name) ?? { name, spend: 0, requests: 0, failures: 0, prompt: 0, completion: 0 };
    sum.spend += row.spend ?? 0;
    sum.requests += row.requests ?? 0;
    sum.failures += row.failures ?? 0;
    sum.prompt += row.prompt_tokens ?? 0;
    sum.completion += row.completion_tokens ?? 0;
    byGroup.set(name, sum);
  }
  return [...byGroup.values()].sort((a, b) => b.spend - a.spend || b.requests - a.requests);
}

function select(options, current, onchange, label) {
  const node = el("select", { "aria-label": label, onchange: () => onchange(node.value) });
  for (const [value, text] of options) {
    node.append(el("option", { value, selected: String(value) === String(current) }, text));
  }
  return node;
}

export async function render(root, ctx) {
  const memory = ctx.memory;
  memory.groupBy ??= "model";
  memory.days ??= 30;
  const groupLabel = GROUPS.find(([value]) => value === memory.groupBy)?.[1] ?? memory.groupBy;
  const [daily, logs] = await Promise.all([
    api.get("/spend/daily", { group_by: memory.groupBy, start_date: dayOffset(memory.days - 1) }),
    api.get("/spend/logs", { limit: RECENT_CALLS }),
  ]);
  const sums = totals(daily.data, memory.groupBy);
  const all = sums.reduce((total, sum) => total + sum.spend, 0);
  const nameCell = (s) => (memory.groupBy === "key_hash" ? shortHash(s.name) : el("strong", null, s.name));
  root.append(
    heading(
      title,
      el(
        "div",
        { class: "row" },
        select(GROUPS, memory.groupBy, (value) => { memory.groupBy = value; ctx.reload(); }, "Group by"),
        select(PERIODS.map((d) => [d, d === 1 ? "today" : `last ${d} days`]), memory.days,
          (value) => { memory.days = Number(value); ctx.reload(); }, "Period"),
      ),
    ),
    el("p", { class: "muted" }, `${usd(all)} in total, by ${groupLabel.toLowerCase()} (UTC days)`),
    sums.length > 0
      ? barChart(sums.slice(0, CHART_ROWS).map((s) => ({ label: s.name, value: s.spend })), usd, `Spend by ${groupLabel}`)
      : null,
    table(
      [
        { label: groupLabel, cell: nameCell },
        { label: "Spend", numeric: true, cell: (s) => usd(s.spend) },
        { label: "Requests", numeric: true, cell: (s) => count(s.requests) },
        { label: "Failures", numeric: true, cell: (s) => count(s.failures) },
        { label: "Prompt tokens", numeric: true, cell: (s) => count(s.prompt) },
        { label: "Completion tokens", numeric: true, cell: (s) => count(s.completion) },
      ],
      sums,
      "No spend in this period.",
    ),
    el("h2", null, "Recent calls"),
    table(
      [
        { label: "Time", cell: (r) => when(r.startTime) },
        { label: "Model", cell: (r) => orDash(r.model_group ?? r.model) },
        { label: "Key", cell: (r) => shortHash(r.api_key) },
        { label: "User", cell: (r) => orDash(r.user) },
        { label: "Team", cell: (r) => orDash(r.team_id) },
        { label: "End user", cell: (r) => orDash(r.end_user) },
        { label: "Tokens", numeric: true, cell: (r) => count(r.total_tokens) },
        { label: "Spend", numeric: true, cell: (r) => usd(r.spend) },
        { label: "Status", cell: (r) => el("span", { class: r.status === "success" ? "tag good" : "tag bad", title: r.error ?? "" }, orDash(r.status)) },
      ],
      logs,
      "No calls recorded yet.",
    ),
  );
}
