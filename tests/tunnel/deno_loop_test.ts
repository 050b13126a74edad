import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

// The tunnel tests run on the own loop wherever it can run (Linux with FFI). Deno's loop
// drives everything elsewhere and with KCPTUN_LOOP=deno: run the same tests that way too.
Deno.test("tunnel tests pass on Deno's loop as well (KCPTUN_LOOP=deno)", async () => {
  const file = fileURLToPath(new URL("./tunnel_test.ts", import.meta.url));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--no-check", file],
    env: { KCPTUN_LOOP: "deno", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  assert.match(text, /ok \| \d+ passed \| 0 failed/);
});
