// An element from plain text (never innerHTML): the first layer's and later.js's one builder.

/** An element with attributes and children (strings are text nodes; empty ones are left out). */
export function el(tag, attrs, ...kids) {
  const node = document.createElement(tag);
  for (const name in attrs) node.setAttribute(name, attrs[name]);
  for (const kid of kids) if (kid) node.append(kid);
  return node;
}
