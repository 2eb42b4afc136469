// Virtual keys: list (GET /key/list), create (POST /key/generate, the key shown once), block,
// unblock and delete.
import { api } from "./api.js";
import { budget, button, dangerButton, el, heading, list, orDash, pager, status, table, when } from "./dom.js";

export const id = "keys";
export const title = "Keys";
const PAGE_SIZE = 25;

function field(label, input) {
  return el("label", { class: "field" }, el("span", null, label), input);
}

function textInput(name, placeholder) {
  return el("input", { type: "text", name, placeholder, autocomplete: "off", spellcheck: "false" });
}

function numbers(text) {
  const value = text.trim();
  return value === "" ? undefined : Number(value);
}

function words(text) {
  const items = text.split(",").map((item) => item.trim()).filter((item) => item !== "");
  return items.length === 0 ? undefined : items;
}

function trimmed(text) {
  const value = text.trim();
  return value === "" ? undefined : value;
}

// the only place a key is ever shown: taken out of the page by "Done" or by leaving the view
function newKeyPanel(made) {
  const shown = el("input", { type: "text", readonly: true, class: "mono wide", id: "new-key", "aria-label": "New key" });
  shown.value = made.key;
  const copy = button("Copy", async () => {
    shown.select();
    // the clipboard API exists only on https or localhost; elsewhere the selected text is copied by hand
    if (!navigator.clipboard) {
      copy.textContent = "Selected: press Ctrl+C";
      return;
    }
    try {
      await navigator.clipboard.writeText(shown.value);
      copy.textContent = "Copied";
    } catch (error) {
      copy.textContent = `Selected: press Ctrl+C (${error.name})`;
    }
  });
  const panel = el(
    "div",
    { class: "card notice", id: "new-key-panel" },
    el("strong", null, `New key${made.key_alias ? ` “${made.key_alias}”` : ""}`),
    el("p", null, "Copy it now: it is shown this once and cannot be read back later."),
    el("div", { class: "row" }, shown, copy, button("Done", () => panel.remove(), "quiet")),
  );
  return panel;
}

function createForm(ctx, onMade) {
  const inputs = {
    key_alias: textInput("key_alias", "e.g. ci-pipeline"),
    user_id: textInput("user_id", "optional"),
    team_id: textInput("team_id", "optional"),
    models: textInput("models", "all, or gpt-4o, claude-…"),
    max_budget: el("input", { type: "number", name: "max_budget", min: "0", step: "any", placeholder: "USD" }),
    duration: textInput("duration", "e.g. 30d (never expires if empty)"),
  };
  const form = el(
    "form",
    { class: "grid-form", id: "create-key-form", autocomplete: "off" },
    field("Alias", inputs.key_alias),
    field("User id", inputs.user_id),
    field("Team id", inputs.team_id),
    field("Models (comma-separated)", inputs.models),
    field("Max budget", inputs.max_budget),
    field("Expires after", inputs.duration),
    el("div", { class: "actions" }, el("button", { type: "submit", id: "create-key" }, "Create key")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = {
      key_alias: trimmed(inputs.key_alias.value),
      user_id: trimmed(inputs.user_id.value),
      team_id: trimmed(inputs.team_id.value),
      models: words(inputs.models.value),
      max_budget: numbers(inputs.max_budget.value),
      duration: trimmed(inputs.duration.value),
    };
    ctx.act(async () => {
      const made = await api.post("/key/generate", body);
      form.reset();
      onMade(made);
    });
  });
  return el("details", { class: "card" }, el("summary", null, "Create a key"), form);
}

export async function render(root, ctx) {
  const memory = ctx.memory;
  memory.page ??= 1;
  const listBox = el("div", { id: "keys-list" });
  const newKeyBox = el("div");

  async function refresh() {
    const found = await api.get("/key/list", { page: memory.page, size: PAGE_SIZE, return_full_object: "true" });
    const rows = found.keys;
    const setBlocked = (key, blocked) =>
      ctx.act(async () => {
        if (blocked) await api.post("/key/block", { key: key.token });
        else await api.post("/key/unblock", { key: key.token });
        await refresh();
      });
    listBox.replaceChildren(
      table(
        [
          { label: "Alias", cell: (k) => el("strong", null, orDash(k.key_alias)) },
          { label: "Key", cell: (k) => el("span", { class: "mono", title: k.token }, orDash(k.key_name)) },
          { label: "User", cell: (k) => orDash(k.user_id) },
          { label: "Team", cell: (k) => orDash(k.team_id) },
          { label: "Models", cell: (k) => list(k.models) },
          { label: "Spend / budget", numeric: true, cell: (k) => budget(k.spend, k.max_budget) },
          { label: "Expires", cell: (k) => (k.expires ? when(k.expires) : "never") },
          { label: "Status", cell: (k) => status(k.blocked) },
          {
            label: "",
            cell: (k) =>
              el(
                "div",
                { class: "row-actions" },
                k.blocked
                  ? button("Unblock", () => setBlocked(k, false), "quiet")
                  : button("Block", () => setBlocked(k, true), "quiet"),
                dangerButton("Delete", () =>
                  ctx.act(async () => {
                    await api.post("/key/delete", { keys: [k.token] });
                    await refresh();
                  }),
                ),
              ),
          },
        ],
        rows,
        memory.page > 1 ? "No keys on this page." : "No keys yet.",
        (k) => ({ "data-alias": k.key_alias ?? "" }),
      ),
      pager(memory.page, found.has_more, (page) => {
        memory.page = page;
        ctx.act(refresh);
      }),
    );
  }

  await refresh();
  root.append(
    heading(title),
    newKeyBox,
    createForm(ctx, async (made) => {
      newKeyBox.replaceChildren(newKeyPanel(made));
      await refresh();
    }),
    listBox,
  );
}
