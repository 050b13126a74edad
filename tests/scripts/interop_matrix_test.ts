// The interop matrix script's command line: sizes, filters, help, and clear usage errors.
import assert from "node:assert/strict";
import { MATRIX, parseInteropArgs } from "../../scripts/interop_matrix.ts";

Deno.test("interop args: defaults, --size in MiB, --filter, help", () => {
  assert.deepEqual(parseInteropArgs([]), { size: 20 * 1024 * 1024, filter: undefined });
  assert.deepEqual(parseInteropArgs(["--size", "0.5", "--filter", "salsa"]), {
    size: 512 * 1024,
    filter: "salsa",
  });
  assert.deepEqual(parseInteropArgs(["-h"]), { help: true });
  assert.ok(MATRIX.some((c) => c.name === "crypt salsa20"));
});

Deno.test("interop args: usage errors are messages, never exceptions", () => {
  assert.deepEqual(parseInteropArgs(["--bogus"]), { error: "Unknown option '--bogus'" });
  for (const size of ["x", "0", "5000"]) {
    assert.deepEqual(parseInteropArgs(["--size", size]), {
      error: `Option --size must be a number of MiB in (0, 4096], got "${size}"`,
    });
  }
});
