/**
 * OTLP common.proto values in protobuf: KeyValue and AnyValue, turned into tag text.
 * https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/common/v1/common.proto
 */
import type { Attribute } from './otlp-model';
import {
  WIRE_I64,
  WIRE_LEN,
  WIRE_VARINT,
  expectWire,
  readBytes,
  readDouble,
  readInt64Text,
  readMessage,
  readString,
  readTag,
  readVarint,
  skipField,
  type ProtoReader,
} from './protobuf';

/** KeyValue { key = 1; value = 2 (AnyValue) }. */
export function readKeyValue(r: ProtoReader): Attribute {
  let key = '';
  let value = '';
  while (r.pos < r.end) {
    const { field, wire } = readTag(r);
    if (field === 1) {
      expectWire(r, wire, WIRE_LEN, 'key');
      key = readString(r, 'attribute key');
    } else if (field === 2) {
      expectWire(r, wire, WIRE_LEN, 'value');
      value = readAnyValue(readMessage(r, `${r.path}[${key}]`));
    } else skipField(r, wire);
  }
  return [key, value];
}

/**
 * AnyValue as tag text: strings as is, booleans `true`/`false`, integers in decimal (exact),
 * doubles by JS number formatting, bytes in base64 (as the OTLP JSON encoding writes them),
 * arrays and key-value lists as compact JSON of their elements' text. Unset: ''.
 */
function readAnyValue(r: ProtoReader): string {
  let out = '';
  while (r.pos < r.end) {
    const { field, wire } = readTag(r);
    switch (field) {
      case 1:
        expectWire(r, wire, WIRE_LEN, 'string_value');
        out = readString(r, 'string_value');
        break;
      case 2:
        expectWire(r, wire, WIRE_VARINT, 'bool_value');
        out = readVarint(r) !== 0 ? 'true' : 'false';
        break;
      case 3:
        expectWire(r, wire, WIRE_VARINT, 'int_value');
        out = readInt64Text(r);
        break;
      case 4:
        expectWire(r, wire, WIRE_I64, 'double_value');
        out = String(readDouble(r));
        break;
      case 5: {
        expectWire(r, wire, WIRE_LEN, 'array_value');
        const a = readMessage(r, `${r.path}[]`);
        const items: string[] = [];
        while (a.pos < a.end) {
          const t = readTag(a);
          if (t.field === 1 && t.wire === WIRE_LEN) items.push(readAnyValue(readMessage(a, a.path)));
          else skipField(a, t.wire);
        }
        out = JSON.stringify(items);
        break;
      }
      case 6: {
        expectWire(r, wire, WIRE_LEN, 'kvlist_value');
        const l = readMessage(r, `${r.path}{}`);
        const obj: Record<string, string> = {};
        while (l.pos < l.end) {
          const t = readTag(l);
          if (t.field === 1 && t.wire === WIRE_LEN) {
            const [k, v] = readKeyValue(readMessage(l, l.path));
            if (k !== '__proto__') obj[k] = v;
          } else skipField(l, t.wire);
        }
        out = JSON.stringify(obj);
        break;
      }
      case 7:
        expectWire(r, wire, WIRE_LEN, 'bytes_value');
        out = readBytes(r).toString('base64');
        break;
      default:
        skipField(r, wire);
    }
  }
  return out;
}
