// Small DOM helpers. Every piece of data becomes a text node (or an attribute value): nothing is
// ever parsed as HTML.

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  appendAll(node, children);
  return node;
}

export function appendAll(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function usd(value) {
  if (value === undefined || value === null) return "—";
  // sub-cent amounts (one call) keep their significant digits: $0.0045, not $0.00
  if (value !== 0 && Math.abs(value) < 0.01) return `$${value.toFixed(6).replace(/0+$/, "")}`;
  return `$${value.toFixed(2)}`;
}

export function count(value) {
  if (value === undefined || value === null) return "—";
  return Number(value).toLocaleString("en-US");
}

export function when(iso) {
  if (!iso) return "—";
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return iso;
  return moment.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

export function list(values) {
  if (!values || values.length === 0) return "all";
  return values.join(", ");
}

export function orDash(value) {
  return value === undefined || value === null || value === "" ? "—" : value;
}

// a long hash shown short, whole in the tooltip
export function shortHash(hash) {
  if (!hash) return "—";
  return el("span", { title: hash, class: "mono" }, hash.length > 14 ? `${hash.slice(0, 12)}…` : hash);
}

export function status(blocked) {
  return el("span", { class: blocked ? "tag bad" : "tag good" }, blocked ? "blocked" : "active");
}

export function budget(spend, max) {
  return max === undefined || max === null ? usd(spend) : `${usd(spend)} / ${usd(max)}`;
}

// columns: [{label, cell: row => text | Node, numeric?}]; rows: objects; rowAttrs: row => attributes
export function table(columns, rows, empty, rowAttrs) {
  if (rows.length === 0) return el("p", { class: "muted" }, empty ?? "Nothing here yet.");
  const head = el("tr", null, columns.map((c) => el("th", { class: c.numeric ? "num" : null }, c.label)));
  const body = rows.map((row) =>
    el("tr", rowAttrs ? rowAttrs(row) : null, columns.map((c) => el("td", { class: c.numeric ? "num" : null }, c.cell(row)))),
  );
  return el("div", { class: "scroll" }, el("table", null, el("thead", null, head), el("tbody", null, body)));
}

export function button(label, onclick, kind) {
  return el("button", { type: "button", class: kind ?? null, onclick }, label);
}

// a button that asks once more before acting (no window.confirm: plain, testable, not blockable)
export function dangerButton(label, action) {
  const node = button(label, () => {
    if (node.dataset.armed === "yes") {
      action();
      return;
    }
    node.dataset.armed = "yes";
    node.textContent = `Really ${label.toLowerCase()}?`;
  }, "danger");
  node.addEventListener("blur", () => {
    delete node.dataset.armed;
    node.textContent = label;
  });
  return node;
}

export function pager(page, hasMore, go) {
  const previous = button("← Previous", () => go(page - 1), "quiet");
  const next = button("Next →", () => go(page + 1), "quiet");
  previous.disabled = page <= 1;
  next.disabled = !hasMore;
  return el("div", { class: "pager" }, previous, el("span", { class: "muted" }, `page ${page}`), next);
}

export function heading(title, ...rest) {
  return el("div", { class: "view-head" }, el("h1", null, title), ...rest);
}
