// An element from plain text (never innerHTML): the first layer's and later.js's one builder.

// The native methods, taken before auto-blocking wraps them: the banner's own elements need
// no checks.
const { setAttribute, append } = Element.prototype;

/** An element with attributes and children (strings are text nodes; empty ones are left out). */
export function el(tag, attrs, ...kids) {
  const node = document.createElement(tag);
  for (const name in attrs) setAttribute.call(node, name, attrs[name]);
  for (const kid of kids) if (kid) append.call(node, kid);
  return node;
}
