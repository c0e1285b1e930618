// Every device identifier in a message, rewritten (docs/csta-codec.md): which fields are device IDs
// is the descriptor table's knowledge — DeviceRef fields (`device()`) and text marked `deviceId()`.
// Anything else (cross references, call IDs, causes, `unknown` and `extensions` nodes) is copied as
// it is. The CTI link's standard profile uses it to name devices as the call server does
// (docs/cti-link.md §7), the simulator to speak that profile.
import { descriptorOf } from './codec.js';
import type { FieldKind } from './dsl.js';
import type { CstaMessage } from './messages.js';

/** A copy of `message` with each device ID replaced by `map(id)`; the message itself when the
 *  table does not know its type. */
export function mapDeviceIds<M extends CstaMessage>(message: M, map: (id: string) => string): M {
  const descriptor = descriptorOf(message.type);
  return descriptor === undefined ? message : (walk(message, descriptor.body, map) as M);
}

function walk(value: unknown, kind: FieldKind, map: (id: string) => string): unknown {
  switch (kind.k) {
    case 'text':
      return kind.deviceId === true && typeof value === 'string' ? map(value) : value;
    case 'device':
      // DeviceRef: { id } or { absent }.
      return typeof value === 'object' && value !== null && 'id' in value && typeof value.id === 'string'
        ? { ...value, id: map(value.id) }
        : value;
    case 'list':
      return Array.isArray(value) ? value.map((item) => walk(item, kind.of, map)) : value;
    case 'struct': {
      if (typeof value !== 'object' || value === null) return value;
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(value)) {
        const entry = kind.fields[key];
        out[key] = entry === undefined ? field : walk(field, entry.kind, map);
      }
      return out;
    }
    default:
      return value;
  }
}
