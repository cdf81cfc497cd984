// @ts-check
// Building the page's DOM. Every value shown becomes a text node or an attribute value set
// through the DOM, never markup: zone keys and values, peer names and errors come from
// outside the node and are shown exactly as they are, whatever characters they hold.

/** @typedef {string | number | Node | null | undefined | false} Child */

/**
 * An HTML element with a class (or none), attributes set one by one, and children, where
 * strings and numbers become text nodes.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string | null} className
 * @param {Child[] | Child} [children]
 * @param {Record<string, string>} [attributes]
 * @returns {HTMLElementTagNameMap[K]}
 */
function el(tag, className, children = [], attributes = {}) {
  const element = document.createElement(tag);
  if (className !== null && className !== '') element.className = className;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  appendChildren(element, Array.isArray(children) ? children : [children]);
  return element;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * An SVG element; its text, if any, is a text node.
 * @param {string} tag
 * @param {Record<string, string | number>} attributes
 * @param {string} [text]
 * @returns {SVGElement}
 */
function svgEl(tag, attributes, text) {
  const element = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag));
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/**
 * @param {Element} parent
 * @param {Child[]} children
 */
function appendChildren(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'number' ? String(child) : child);
  }
}

/**
 * Replaces everything in the element with the children.
 * @param {Element} parent
 * @param {Child[]} children
 */
function fill(parent, children) {
  parent.replaceChildren();
  appendChildren(parent, children);
}

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
function byId(id) {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element;
}

/** @type {WeakMap<Element, Map<string, HTMLElement>>} */
const keyedChildren = new WeakMap();

/**
 * Keeps one child element per key in the container, in the keys' order, made on first use
 * and kept across polls (so that it keeps its size and what the user did with it); the
 * children of keys no longer given are removed.
 * @param {Element} container
 * @param {string[]} keys
 * @param {(key: string) => HTMLElement} make
 * @returns {Map<string, HTMLElement>}
 */
function keyedElements(container, keys, make) {
  const before = keyedChildren.get(container) ?? new Map();
  const after = new Map();
  for (const key of keys) after.set(key, before.get(key) ?? make(key));
  for (const [key, element] of before) if (!after.has(key)) element.remove();
  const wanted = [...after.values()];
  const present = [...container.children];
  if (wanted.length !== present.length || wanted.some((element, i) => present[i] !== element)) container.replaceChildren(...wanted);
  keyedChildren.set(container, after);
  return after;
}
