// The audit log of admin changes (GET /audit): who changed what, newest first, paged.
import { api } from "./api.js";
import { el, heading, orDash, pager, shortHash, table, when } from "./dom.js";

export const id = "audit";
export const title = "Audit log";
const PAGE_SIZE = 25;
const TABLES = {
  LiteLLM_VerificationToken: "key",
  LiteLLM_UserTable: "user",
  LiteLLM_TeamTable: "team",
  LiteLLM_EndUserTable: "end user",
};

// bookkeeping every change moves: not worth listing
const STAMPS = new Set(["created_at", "updated_at"]);

// the fields whose values differ between the object before and after the change
function changedFields(entry) {
  const before = entry.before_value ?? {};
  const after = entry.updated_values ?? {};
  if (entry.before_value === null || entry.updated_values === null) return "—";
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changed = [...names].filter(
    (name) => !STAMPS.has(name) && JSON.stringify(before[name]) !== JSON.stringify(after[name]),
  );
  return changed.length === 0 ? "—" : changed.sort().join(", ");
}

export async function render(root, ctx) {
  const memory = ctx.memory;
  memory.page ??= 1;
  const found = await api.get("/audit", { page: memory.page, page_size: PAGE_SIZE });
  root.append(
    heading(title, el("p", { class: "muted" }, `${found.total} changes made through the admin API.`)),
    table(
      [
        { label: "When", cell: (e) => when(e.updated_at) },
        { label: "By", cell: (e) => orDash(e.changed_by) },
        { label: "With key", cell: (e) => shortHash(e.changed_by_api_key) },
        { label: "Action", cell: (e) => el("strong", null, e.action) },
        { label: "Object", cell: (e) => orDash(TABLES[e.table_name] ?? e.table_name) },
        { label: "Id", cell: (e) => shortHash(e.object_id) },
        { label: "Fields changed", cell: (e) => changedFields(e) },
      ],
      found.audit_logs,
      "No admin changes yet.",
    ),
    pager(memory.page, memory.page < found.total_pages, (page) => {
      memory.page = page;
      ctx.reload();
    }),
  );
}
