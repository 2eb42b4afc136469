// Internal users (GET /user/list), paged.
import { api } from "./api.js";
import { budget, el, heading, list, orDash, pager, status, table } from "./dom.js";

export const id = "users";
export const title = "Users";
const PAGE_SIZE = 25;

export async function render(root, ctx) {
  const memory = ctx.memory;
  memory.page ??= 1;
  const found = await api.get("/user/list", { page: memory.page, page_size: PAGE_SIZE });
  root.append(
    heading(title),
    table(
      [
        { label: "User id", cell: (u) => el("strong", null, u.user_id) },
        { label: "Alias", cell: (u) => orDash(u.user_alias) },
        { label: "Email", cell: (u) => orDash(u.user_email) },
        { label: "Role", cell: (u) => orDash(u.user_role) },
        { label: "Models", cell: (u) => list(u.models) },
        { label: "Spend / budget", numeric: true, cell: (u) => budget(u.spend, u.max_budget) },
        { label: "Status", cell: (u) => status(u.blocked) },
      ],
      found.users,
      "No users yet.",
    ),
    pager(memory.page, found.has_more, (page) => {
      memory.page = page;
      ctx.reload();
    }),
  );
}
