// A horizontal bar chart as inline SVG, built node by node (labels are text nodes).

const SVG = "http://www.w3.org/2000/svg";
const ROW = 24;
const LABEL_WIDTH = 200;
const BAR_WIDTH = 420;
const VALUE_WIDTH = 110;

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function clip(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// items: [{label, value}] (value >= 0); format: value => text
export function barChart(items, format, caption) {
  const width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH;
  const height = Math.max(items.length, 1) * ROW + 8;
  const root = svg("svg", {
    class: "chart",
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "img",
    "aria-label": caption,
  });
  root.append(svg("title", {}, caption));
  const top = Math.max(...items.map((item) => item.value), 0);
  items.forEach((item, index) => {
    const y = index * ROW + 4;
    const label = svg("text", { x: LABEL_WIDTH - 8, y: y + ROW * 0.65, class: "chart-label" }, clip(item.label, 28));
    label.append(svg("title", {}, item.label));
    const length = top > 0 ? Math.max((item.value / top) * BAR_WIDTH, item.value > 0 ? 1 : 0) : 0;
    root.append(
      label,
      svg("rect", { x: LABEL_WIDTH, y: y + 3, width: length.toFixed(1), height: ROW - 8, class: "bar" }),
      svg("text", { x: LABEL_WIDTH + length + 6, y: y + ROW * 0.65, class: "chart-value" }, format(item.value)),
    );
  });
  return root;
}
