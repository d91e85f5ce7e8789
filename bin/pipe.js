#!/usr/bin/env node
// The published entry runs the compiled CLI; `npm ci` builds it through the `prepare` script.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(compiled)) {
  console.error('pipe: dist/cli.js is missing. Run `npm run build` (or `npm ci`, which builds) in the pipe checkout.');
  process.exit(2);
}
const { main } = await import(compiled);
process.exit(await main(process.argv.slice(2)));
