// Teams with their members and limits (GET /team/list).
import { api } from "./api.js";
import { budget, count, el, heading, list, orDash, status, table } from "./dom.js";

export const id = "teams";
export const title = "Teams";

function members(team) {
  const all = team.members_with_roles ?? [];
  if (all.length === 0) return "—";
  return all.map((m) => (m.role === "admin" ? `${m.user_id} (admin)` : m.user_id)).join(", ");
}

export async function render(root) {
  const teams = await api.get("/team/list");
  root.append(
    heading(title, el("p", { class: "muted" }, `${teams.length} team${teams.length === 1 ? "" : "s"}`)),
    table(
      [
        { label: "Team", cell: (t) => el("strong", null, orDash(t.team_alias ?? t.team_id)) },
        { label: "Team id", cell: (t) => el("span", { class: "mono" }, t.team_id) },
        { label: "Members", cell: members },
        { label: "Models", cell: (t) => list(t.models) },
        { label: "Spend / budget", numeric: true, cell: (t) => budget(t.spend, t.max_budget) },
        { label: "RPM", numeric: true, cell: (t) => count(t.rpm_limit) },
        { label: "TPM", numeric: true, cell: (t) => count(t.tpm_limit) },
        { label: "Status", cell: (t) => status(t.blocked) },
      ],
      teams,
      "No teams yet.",
    ),
  );
}
