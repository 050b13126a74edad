// Loading lib/crypt must not load node: built-ins or npm packages: either makes Deno set up
// its Node compatibility layer or npm resolution, several MB of resident memory per process
// (scripts/rss_probe.ts). node:crypto is reached through _node_builtins.ts on
// first use; type-only imports are erased.

import assert from "node:assert/strict";

const DIR = new URL("../../lib/crypt/", import.meta.url);

Deno.test("lib/crypt has no runtime import of node: built-ins or npm packages", () => {
  const offenders: string[] = [];
  for (const entry of Deno.readDirSync(DIR)) {
    if (!entry.name.endsWith(".ts")) continue;
    const text = Deno.readTextFileSync(new URL(entry.name, DIR));
    // Static imports and re-exports outside doc comments, skipping `import type`.
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gms)) {
      // our own modules (relative paths) are fine; node:, npm: and bare specifiers are not
      if (!m[1].startsWith("./") && !m[1].startsWith("../")) {
        offenders.push(`${entry.name}: ${m[1]}`);
      }
    }
    if (/\bimport\(/.test(text.replace(/^\s*\*.*$/gm, ""))) {
      offenders.push(`${entry.name}: import()`);
    }
  }
  assert.deepEqual(offenders, []);
});
