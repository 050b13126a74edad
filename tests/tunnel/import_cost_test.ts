// Starting a tunnel process must not load Deno's Node compatibility layer or npm packages:
// either costs every client and server several MB of resident memory while idle
// (scripts/rss_probe.ts: LogTape ~9 MB, the first node: module or `process` access ~8 MB).
// Two checks per entry point:
//  1. its static import graph (`deno info --json`, following every non-dynamic, non-type-only
//     import) reaches no node: or npm: module;
//  2. importing it in a fresh process reads none of the Node globals (process, Buffer,
//     setImmediate, clearImmediate), which Deno sets up on first access.
// The lazy pattern stays allowed: dynamic import() and lib/crypt/_node_builtins.ts
// (process.getBuiltinModule on first use).

import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);
const ENTRIES = ["lib/tunnel/client.ts", "lib/tunnel/server.ts", "cli.ts"];
const NODE_GLOBALS = ["process", "Buffer", "setImmediate", "clearImmediate"];

interface GraphDependency {
  code?: { specifier: string };
  isDynamic?: boolean;
}

interface Graph {
  roots: string[];
  modules: { specifier: string; dependencies?: GraphDependency[] }[];
  redirects: Record<string, string>;
}

/** `from -> to` for every static runtime import chain from `entry` that leaves `file:`. */
async function staticNonFileImports(entry: string | URL, cwd: URL): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry instanceof URL ? entry.href : entry],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as Graph;
  const modules = new Map(graph.modules.map((m) => [m.specifier, m]));
  const resolve = (s: string) => graph.redirects[s] ?? s;
  const offenders: string[] = [];
  const seen = new Set<string>([resolve(graph.roots[0])]);
  const queue = [...seen];
  while (queue.length > 0) {
    const from = queue.pop()!;
    for (const dep of modules.get(from)?.dependencies ?? []) {
      if (dep.isDynamic || dep.code === undefined) continue; // lazy, or type-only
      const to = resolve(dep.code.specifier);
      if (!to.startsWith("file:")) {
        offenders.push(`${new URL(from).pathname.replace(cwd.pathname, "")} -> ${to}`);
      } else if (!seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return offenders;
}

/** Names of the Node globals read while `entry` is imported in a fresh `deno run`. */
async function nodeGlobalsTouched(entry: URL): Promise<string[]> {
  const probe = `
    const touched = [];
    for (const name of ${JSON.stringify(NODE_GLOBALS)}) {
      const original = Object.getOwnPropertyDescriptor(globalThis, name);
      if (original === undefined) continue;
      Object.defineProperty(globalThis, name, {
        configurable: true,
        get() {
          if (!touched.includes(name)) touched.push(name);
          return original.get ? original.get.call(globalThis) : original.value;
        },
      });
    }
    await import(${JSON.stringify(entry.href)});
    console.log(JSON.stringify(touched));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=js", probe],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout).trim()) as string[];
}

for (const entry of ENTRIES) {
  Deno.test(`${entry}: no node: or npm: module on any static import chain`, async () => {
    assert.deepEqual(await staticNonFileImports(entry, ROOT), []);
  });

  Deno.test(`${entry}: importing it reads no Node global`, async () => {
    assert.deepEqual(await nodeGlobalsTouched(new URL(entry, ROOT)), []);
  });
}

Deno.test("the checks catch a node: import two hops away and a Node global read at import", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const url = (name: string) => new URL(`file://${dir}/${name}`);
    await Deno.writeTextFile(url("a.ts"), 'import "./b.ts";\nimport type {} from "./c.ts";\n');
    await Deno.writeTextFile(
      url("b.ts"),
      'import { createHash } from "node:crypto";\n' +
        "export const lazy = () => import('./d.ts');\nexport { createHash };\n",
    );
    await Deno.writeTextFile(url("c.ts"), 'import "node:zlib";\nexport {};\n');
    await Deno.writeTextFile(url("d.ts"), 'import "node:os";\nexport {};\n');
    await Deno.writeTextFile(url("e.ts"), "export const pid = globalThis.process?.pid;\n");
    const cwd = new URL(`file://${dir}/`);
    // Only b's static node:crypto counts: c is type-only, d is dynamic.
    assert.deepEqual(await staticNonFileImports(url("a.ts"), cwd), ["b.ts -> node:crypto"]);
    assert.deepEqual(await nodeGlobalsTouched(url("e.ts")), ["process"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
