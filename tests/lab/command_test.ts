import assert from "node:assert/strict";
import { LAB_USAGE, type LabIo, runLabCommand } from "../../lib/lab/command.ts";

function capture(isTerminal = false): LabIo & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    isTerminal,
    out: (t: string) => void (io.stdout += t),
    err: (t: string) => void (io.stderr += t),
  };
  return io;
}

Deno.test("lab command: usage errors exit 2 with the message and a pointer to --help", async () => {
  for (
    const [argv, message] of [
      [["--bogus"], "Unknown flag --bogus"],
      [["--direction", "up"], 'Option --direction must be download, upload or both, got "up"'],
      [["-r", "vps:1"], "Flag -r cannot be used with lab: it sets the addresses and logs itself"],
    ] as const
  ) {
    const io = capture();
    assert.equal(await runLabCommand([...argv], io), 2);
    assert.equal(io.stderr, `${message}\nRun "cli.ts lab --help" for usage.\n`);
    assert.equal(io.stdout, "");
  }
});

Deno.test("lab command: --help prints the usage and exits 0", async () => {
  const io = capture();
  assert.equal(await runLabCommand(["--help"], io), 0);
  assert.equal(io.stdout, LAB_USAGE);
  assert.equal(io.stderr, "");
});

Deno.test("lab command: a short run prints plain progress lines and the report", async () => {
  const io = capture(false);
  const code = await runLabCommand(
    ["--profile", "loopback", "--bytes", "200kb", "--dscp", "46"],
    io,
  );
  assert.equal(code, 0);
  assert.equal(
    io.stderr,
    "Warning: --dscp is not supported by Deno (it cannot set the IP TOS byte); ignored\n",
  );
  const lines = io.stdout.split("\n");
  assert.equal(lines[0], "Lab on loopback: no rate limit, no delay, no loss");
  assert.ok(!io.stdout.includes("\r"));
  assert.match(io.stdout, /\n\[1\/1\] ours download \(--dscp 46\) .* 200 kB .* done\n/);
  assert.match(io.stdout, /\| --dscp 46 \| ours \| download .* \| ok +\|\n/);
  assert.ok(io.stdout.includes("Note: The link is perfect"));
});

Deno.test("lab command: on a terminal the progress line is redrawn in place", async () => {
  const io = capture(true);
  assert.equal(await runLabCommand(["--profile", "loopback", "--bytes", "100kb"], io), 0);
  assert.match(io.stdout, /\r\[1\/1\] ours download \(defaults\) .* done *\n/);
});
