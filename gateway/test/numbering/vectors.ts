// Loads a test vector file next to this one and checks its shape with zod, so a malformed vector file fails
// loudly instead of silently testing nothing.
import { readFileSync } from 'node:fs';
import type { z } from 'zod';

export function loadVectors<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  const text = readFileSync(new URL(`./vectors/${file}`, import.meta.url), 'utf8');
  return schema.parse(JSON.parse(text));
}
