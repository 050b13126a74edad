/**
 * Live interop with Debian's kcptun 20210922 (`apt-get install -y kcptun`): our client with the
 * Go server and the Go client with our server, 20 MB each way, checked by sha-256. A
 * representative subset; `deno task interop` runs the whole matrix.
 */
import assert from "node:assert/strict";
import { hasGoKcptun } from "../_helpers/net.ts";
import { type InteropFlags, type Pairing, runInterop } from "./_interop.ts";

const HAS_GO = hasGoKcptun();
if (!HAS_GO) {
  console.warn(
    "SKIPPING interop tests: kcptun-client/kcptun-server not found (apt-get install -y kcptun)",
  );
}

const SIZE = 20 * 1024 * 1024;

// Go 2021 defaults to smux v1, ours to v2 (latest): runInterop pins v1 unless a case sets it.
const CASES: { name: string; flags: InteropFlags }[] = [
  { name: "defaults (aes, FEC 10/3, snappy, smux v1)", flags: {} },
  {
    name: "salsa20 nocomp smux v2",
    flags: { both: ["--crypt", "salsa20", "--nocomp", "--smuxver", "2"] },
  },
  {
    name: "none, no FEC, fast3",
    flags: { both: ["--crypt", "none", "--ds", "0", "--ps", "0", "--mode", "fast3"] },
  },
  {
    name: "twofish FEC 7/5 mtu 1200, client --conn 3",
    flags: {
      both: ["--crypt", "twofish", "--ds", "7", "--ps", "5", "--mtu", "1200"],
      client: ["--conn", "3"],
    },
  },
  {
    // our sender's FEC tuner sends 10/3 parity at first, then none once the transfer is bulk
    // (about 2 s in, each way): the Go receiver must rebuild with what arrives, take the plain
    // KCP packets that follow, and never mis-tune
    name: "defaults over 30 Mbit/s, 2 % loss (adaptive parity)",
    flags: { link: "rate=30mbit,delay=10ms,loss=2%" },
  },
];

for (const pairing of ["ours-client+go-server", "go-client+ours-server"] as Pairing[]) {
  for (const c of CASES) {
    Deno.test({
      name: `interop ${pairing}: ${c.name}`,
      ignore: !HAS_GO,
      async fn() {
        const r = await runInterop(pairing, SIZE, c.flags);
        assert.ok(r.upload.ok, `upload failed: ${JSON.stringify(r)}`);
        assert.ok(r.download.ok, `download failed: ${JSON.stringify(r)}`);
      },
    });
  }
}
