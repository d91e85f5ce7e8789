// Fingerprints hash the compiler's canonical JSON (sorted keys, undefined dropped), so the compiler's
// stage dedup and the runtime's cache keys agree on what "equal params" means.
import { createHash } from 'node:crypto';

export { canonicalJson } from '../compiler/canonical.js';

export function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}
