/**
 * Escaping for the three contexts the renderer writes user data into: HTML text and
 * attribute values (the same escaping serves both because every attribute is double-quoted),
 * JSON inside an inline `<script>`, and CSS colours (validated, never escaped: an unknown
 * colour falls back to the palette rather than reaching a style attribute).
 * OWASP XSS Prevention Cheat Sheet, rules #1 and #2:
 * https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escape text for an HTML/SVG text node or a double-quoted attribute value. */
export function escapeHtml(text: string): string {
  // Control characters other than tab/newline are not allowed in XML (SVG inline in HTML is
  // forgiving, but an exported .svg would not parse), so they are dropped.
  return (
    String(text)
      .replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c)
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
  );
}

/**
 * JSON for an inline `<script type="application/json">`: `<`, `>` and `&` become \u escapes
 * so that no string can close the script element or open a comment; U+2028/2029 are escaped
 * for older JS parsers. JSON.parse reads the escapes back unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;
const FUNC = /^(?:rgb|rgba|hsl|hsla)\(\s*[0-9.%,\s/+-]+\)$/i;
const NAMED = /^[a-z]{3,20}$/i;

/** A user-supplied colour if it is a plain CSS colour, otherwise `fallback`. */
export function safeColor(color: string | undefined, fallback: string): string {
  if (color === undefined) return fallback;
  const c = color.trim();
  return HEX.test(c) || FUNC.test(c) || NAMED.test(c) ? c : fallback;
}
