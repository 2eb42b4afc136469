// Model groups (GET /model/info) and each deployment's health as the router sees it (GET /health).
import { api } from "./api.js";
import { el, heading, orDash, table, when } from "./dom.js";

export const id = "models";
export const title = "Models";

function stateTag(entry, healthy) {
  return el("span", { class: healthy ? "tag good" : "tag bad" }, orDash(entry.state));
}

export async function render(root) {
  const [info, health] = await Promise.all([api.get("/model/info"), api.get("/health")]);
  const deployments = [
    ...health.healthy_endpoints.map((entry) => ({ entry, healthy: true })),
    ...health.unhealthy_endpoints.map((entry) => ({ entry, healthy: false })),
  ];
  const perGroup = new Map();
  for (const { entry, healthy } of deployments) {
    const seen = perGroup.get(entry.model_name) ?? { healthy: 0, total: 0 };
    seen.total += 1;
    if (healthy) seen.healthy += 1;
    perGroup.set(entry.model_name, seen);
  }
  root.append(
    heading(
      title,
      el("p", { class: "muted" }, `${health.healthy_count} healthy, ${health.unhealthy_count} cooling or down`),
    ),
    table(
      [
        { label: "Model group", cell: (m) => el("strong", null, orDash(m.model_name)) },
        { label: "Upstream model", cell: (m) => el("span", { class: "mono" }, orDash(m.litellm_params?.model)) },
        { label: "API base", cell: (m) => el("span", { class: "mono" }, orDash(m.litellm_params?.api_base)) },
        {
          label: "Deployments healthy",
          numeric: true,
          cell: (m) => {
            const seen = perGroup.get(m.model_name);
            return seen ? `${seen.healthy} / ${seen.total}` : "—";
          },
        },
      ],
      info.data,
      "No models configured.",
    ),
    el("h2", null, "Deployments"),
    table(
      [
        { label: "Model group", cell: (d) => orDash(d.entry.model_name) },
        { label: "Model", cell: (d) => el("span", { class: "mono" }, orDash(d.entry.model)) },
        { label: "State", cell: (d) => stateTag(d.entry, d.healthy) },
        { label: "Cooling until", cell: (d) => (d.entry.cooling_until ? when(d.entry.cooling_until * 1000) : "—") },
        { label: "Reason / last error", cell: (d) => orDash(d.entry.cooling_reason ?? d.entry.last_error) },
      ],
      deployments,
      "No deployments.",
    ),
  );
}
