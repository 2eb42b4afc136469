// End users: the `user` field of calls (GET /end_user/list), blocked and unblocked by id.
import { api } from "./api.js";
import { budget, button, el, heading, orDash, status, table } from "./dom.js";

export const id = "end-users";
export const title = "End users";

export async function render(root, ctx) {
  const endUsers = await api.get("/end_user/list");
  const setBlocked = (ids, blocked) =>
    ctx.act(async () => {
      if (blocked) await api.post("/end_user/block", { user_ids: ids });
      else await api.post("/end_user/unblock", { user_ids: ids });
      ctx.reload();
    });
  const idInput = el("input", { type: "text", placeholder: "end user id", "aria-label": "End user id", spellcheck: "false" });
  const blockForm = el("form", { class: "row", autocomplete: "off" }, idInput, el("button", { type: "submit" }, "Block"));
  blockForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = idInput.value.trim();
    if (value !== "") setBlocked([value], true);
  });
  root.append(
    heading(title, el("p", { class: "muted" }, "Block an id before its first call, or any listed one.")),
    blockForm,
    table(
      [
        { label: "End user", cell: (e) => el("strong", null, e.user_id) },
        { label: "Alias", cell: (e) => orDash(e.alias) },
        { label: "Spend / budget", numeric: true, cell: (e) => budget(e.spend, e.litellm_budget_table?.max_budget) },
        { label: "Budget id", cell: (e) => orDash(e.budget_id) },
        { label: "Region", cell: (e) => orDash(e.allowed_model_region) },
        { label: "Default model", cell: (e) => orDash(e.default_model) },
        { label: "Status", cell: (e) => status(e.blocked) },
        {
          label: "",
          cell: (e) =>
            e.blocked
              ? button("Unblock", () => setBlocked([e.user_id], false), "quiet")
              : button("Block", () => setBlocked([e.user_id], true), "quiet"),
        },
      ],
      endUsers,
      "No end users yet: they appear once a call names one in `user`, or when created.",
    ),
  );
}
