#!/usr/bin/env node
// The command runs the compiled JavaScript in dist/ with plain Node: `npm install` (prepare) and
// `npm test` build it. `npm run lab -- ARGS` runs the TypeScript sources through tsx instead.
import { existsSync } from "node:fs";

const entry = new URL("../dist/cli/bin.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("iommu-lab: dist/ is missing: run `npm run build` (or `npm install`) first\n");
  process.exit(2);
}
await import(entry.href);
