/**
 * A small XML 1.0 serializer for documents Herald writes (feeds): elements hold either text or child elements,
 * never markup passed in as a string. Every text and attribute value is escaped in full (a `&` that already looks
 * like an entity is escaped too: user text is never trusted to be markup), and characters XML 1.0 forbids are
 * removed or replaced, so the output is well-formed whatever the input holds.
 */
export interface XmlElement {
  name: string;
  attributes?: Record<string, string>;
  /** Text content, escaped; or child elements. */
  content?: string | XmlElement[];
}

export function xmlDocument(root: XmlElement): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n${serialize(root, '')}\n`;
}

export function element(
  name: string,
  content?: string | XmlElement[],
  attributes?: Record<string, string>,
): XmlElement {
  return { name, content, attributes };
}

function serialize(node: XmlElement, indent: string): string {
  const attributes = Object.entries(node.attributes ?? {})
    .map(([name, value]) => ` ${name}="${escapeAttribute(value)}"`)
    .join('');
  const open = `${indent}<${node.name}${attributes}`;
  if (node.content === undefined || node.content.length === 0) return `${open}/>`;
  if (typeof node.content === 'string') return `${open}>${escapeText(node.content)}</${node.name}>`;
  const children = node.content.map((child) => serialize(child, `${indent}  `)).join('\n');
  return `${open}>\n${children}\n${indent}</${node.name}>`;
}

// C0 controls XML 1.0 does not allow (all but tab, newline and carriage return): dropped.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is removed here
const FORBIDDEN_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;
// Lone surrogate halves and the non-characters U+FFFE/U+FFFF: replaced with U+FFFD, so a reader sees where one was.
const NOT_A_CHARACTER = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|[\ufffe\uffff]/g;

/** The string with every character XML 1.0 forbids removed (controls) or replaced (U+FFFD). */
export function xmlCharacters(value: string): string {
  return value.replace(FORBIDDEN_CONTROL, '').replace(NOT_A_CHARACTER, '\ufffd');
}

export function escapeText(value: string): string {
  return xmlCharacters(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#13;');
}

function escapeAttribute(value: string): string {
  return escapeText(value).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}
