/**
 * Splits one CSV line into fields, RFC 4180 style (https://www.rfc-editor.org/rfc/rfc4180):
 * a field wrapped in double quotes may hold commas and `""` (an escaped quote). Records spanning
 * several lines (a newline inside quotes) are not supported: telemetry exports never produce them,
 * and reading line by line keeps line numbers exact; such a line is reported as unterminated.
 * Returns the fields, or a string saying why the line cannot be split.
 */
export function splitCsvLine(line: string): string[] | string {
  // Fast path: NAB files and unquoted Microsoft files carry no quotes at all.
  if (line.indexOf('"') < 0) return line.split(',');
  const fields: string[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === 34 /* " */) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = line.indexOf('"', from);
        if (q < 0) return `unterminated quoted field starting at column ${i + 1}`;
        if (line.charCodeAt(q + 1) === 34) {
          value += line.slice(from, q + 1);
          from = q + 2;
          continue;
        }
        value += line.slice(from, q);
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === n) return fields;
      if (line.charCodeAt(i) !== 44 /* , */) return `unexpected character after closing quote at column ${i + 1}`;
      i += 1;
    } else {
      // An unquoted field runs to the next comma; a stray quote inside it is kept as data.
      const c = line.indexOf(',', i);
      if (c < 0) {
        fields.push(line.slice(i));
        return fields;
      }
      fields.push(line.slice(i, c));
      i = c + 1;
    }
  }
}
