// Web app, DOM helpers: elements are built node by node, never from HTML strings.

export function text(value) {
  return document.createTextNode(value == null ? "" : String(value));
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children);
  return node;
}

export function fill(node, ...children) {
  node.replaceChildren(...children);
  return node;
}

export function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => (key in values ? values[key] : `{${key}}`));
}
