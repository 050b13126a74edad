/**
 * `deno task compile` builds a single executable. Deno downloads its runtime (denort) from its
 * own host, which this machine cannot reach; with DENORT_BIN pointing at a denort the build runs
 * offline, and this test builds and runs the binary. Without it the test is skipped, visibly.
 */
import assert from "node:assert/strict";

const DENORT = Deno.env.get("DENORT_BIN");
if (!DENORT) {
  console.warn("SKIPPING compile test: set DENORT_BIN to a denort binary to build offline");
}

Deno.test({
  name: "compile: the single executable prints its version and runs --help",
  ignore: !DENORT,
  async fn() {
    const dir = Deno.makeTempDirSync();
    try {
      const out = `${dir}/kcptun-ts`;
      const build = await new Deno.Command(Deno.execPath(), {
        args: ["compile", "-A", "--include", "lib/", "--output", out, "cli.ts"],
        cwd: new URL("../..", import.meta.url).pathname,
        env: { DENORT_BIN: DENORT! },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(build.code, 0, new TextDecoder().decode(build.stderr));
      const v = await new Deno.Command(out, { args: ["--version"], stdout: "piped" }).output();
      assert.equal(v.code, 0);
      assert.match(new TextDecoder().decode(v.stdout), /^kcptun-ts \d+\.\d+\.\d+/);
      const h = await new Deno.Command(out, { args: ["client", "--help"], stdout: "piped" })
        .output();
      assert.equal(h.code, 0);
      assert.match(new TextDecoder().decode(h.stdout), /--remoteaddr/);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
