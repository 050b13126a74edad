import assert from "node:assert/strict";
import { DEFAULT_LAB_PROFILE, LAB_USAGE, type LabArgs, parseLabArgs } from "../../lib/lab/args.ts";
import { LINK_PROFILES } from "../../lib/link/link.ts";

function parse(argv: string[]): LabArgs {
  const r = parseLabArgs(argv);
  if ("help" in r) throw new Error("unexpected help");
  return r;
}

Deno.test("lab args: defaults are a lossy profile, 10 s, download, ours, seed 1", () => {
  const a = parse([]);
  assert.equal(DEFAULT_LAB_PROFILE, "lossy-50m-40ms-2pct");
  assert.equal(a.profileLabel, "lossy-50m-40ms-2pct");
  assert.deepEqual(a.up, LINK_PROFILES["lossy-50m-40ms-2pct"]);
  assert.deepEqual(a.down, LINK_PROFILES["lossy-50m-40ms-2pct"]);
  assert.equal(a.seconds, 10);
  assert.equal(a.bytes, undefined);
  assert.deepEqual(a.directions, ["download"]);
  assert.equal(a.compare, false);
  assert.equal(a.seed, 1);
  assert.deepEqual(a.variants, [{ label: "defaults", clientArgs: [], serverArgs: [] }]);
  assert.deepEqual(a.warnings, []);
});

Deno.test("lab args: help in both spellings, and the usage names every option", () => {
  assert.deepEqual(parseLabArgs(["--help"]), { help: LAB_USAGE });
  assert.deepEqual(parseLabArgs(["--mode", "fast3", "-h"]), { help: LAB_USAGE });
  for (
    const option of [
      "--profile",
      "--up",
      "--down",
      "--seconds",
      "--bytes",
      "--direction",
      "--try",
      "--compare",
      "--seed",
    ]
  ) {
    assert.ok(LAB_USAGE.includes(option), option);
  }
});

Deno.test("lab args: own options in --x=v, --x v and -x v forms", () => {
  const a = parse([
    "--profile=loopback",
    "--bytes",
    "300kb",
    "-direction",
    "both",
    "--compare",
    "--seed=4294967295",
  ]);
  assert.equal(a.profileLabel, "loopback");
  assert.deepEqual(a.up, {});
  assert.equal(a.bytes, 300_000);
  assert.equal(a.seconds, undefined);
  assert.deepEqual(a.directions, ["download", "upload"]);
  assert.equal(a.compare, true);
  assert.equal(a.seed, 4294967295);
  assert.equal(parse(["--bytes", "2MiB"]).bytes, 2 * 1048576);
  assert.equal(parse(["--bytes", "1.5g"]).bytes, 1.5e9);
  assert.equal(parse(["--seconds", "0.5"]).seconds, 0.5);
  assert.equal(parse(["--compare=false"]).compare, false);
});

Deno.test("lab args: --up and --down override --profile per direction", () => {
  const a = parse(["--profile", "clean-100m-20ms", "--down", "loss=5%,delay=30ms"]);
  assert.deepEqual(a.up, LINK_PROFILES["clean-100m-20ms"]);
  assert.deepEqual(a.down, { loss: 0.05, delayMs: 30 });
  assert.equal(a.profileLabel, "up clean-100m-20ms, down loss=5%,delay=30ms");
  const b = parse(["--up", "rate=1mbit"]);
  assert.equal(b.profileLabel, "up rate=1mbit, down lossy-50m-40ms-2pct");
  assert.deepEqual(b.up, { rateBps: 1e6 });
});

Deno.test("lab args: kcptun flags go to both ends, client-only ones to the client", () => {
  const flags = "--conn 2 --nocomp --mode fast3 --ds=0 --ps 0 --dscp 46";
  const a = parse(flags.split(" "));
  assert.deepEqual(a.variants, [{
    label: flags,
    clientArgs: flags.split(" "),
    serverArgs: ["--nocomp", "--mode", "fast3", "--ds=0", "--ps", "0", "--dscp", "46"],
  }]);
  // a warning from both ends is reported once
  assert.deepEqual(a.warnings, [
    "--dscp is not supported by Deno (it cannot set the IP TOS byte); ignored",
  ]);
  // a value that starts with "-" stays a value (as in kcptun)
  assert.deepEqual(parse(["--key", "-secret-"]).variants[0].serverArgs, ["--key", "-secret-"]);
});

Deno.test("lab args: each --try adds a variant on top of the given flags", () => {
  const a = parse([
    "--mode",
    "fast2",
    "--try",
    "--mode fast3",
    "--try",
    " --sndwnd 2048  --rcvwnd 2048 ",
  ]);
  assert.deepEqual(a.variants.map((v) => v.label), [
    "--mode fast2",
    "--mode fast2 --mode fast3",
    "--mode fast2 --sndwnd 2048 --rcvwnd 2048",
  ]);
  assert.deepEqual(a.variants[2].clientArgs, [
    "--mode",
    "fast2",
    "--sndwnd",
    "2048",
    "--rcvwnd",
    "2048",
  ]);
  assert.deepEqual(parse(["--try", "--ds 0 --ps 0"]).variants.map((v) => v.label), [
    "defaults",
    "--ds 0 --ps 0",
  ]);
});

Deno.test("lab args: a flag checked against another flag is routed by the whole line", () => {
  // alone, --streambuf 8 MiB fails against the default --smuxbuf (4 MiB); with it, it is valid
  for (const order of [["smuxbuf", "streambuf"], ["streambuf", "smuxbuf"]]) {
    const sizes: Record<string, string> = { smuxbuf: "16777216", streambuf: "8388608" };
    const flags = order.flatMap((f) => [`--${f}`, sizes[f]]);
    const a = parse(["--try", flags.join(" ")]);
    assert.deepEqual(a.variants[1].clientArgs, flags);
    assert.deepEqual(a.variants[1].serverArgs, flags);
  }
});

Deno.test("lab args: usage errors are SyntaxErrors with exact messages", () => {
  const cases: [string[], string][] = [
    [["--seconds", "abc"], 'Option --seconds must be a number 0.1..3600, got "abc"'],
    [["--seconds", "3601"], 'Option --seconds must be a number 0.1..3600, got "3601"'],
    [["--seconds", "10", "--bytes", "1mb"], "Options --seconds and --bytes cannot both be given"],
    [["--bytes", "0"], 'Option --bytes must be a size like 50mb, 1gib or 300000, got "0"'],
    [
      ["--bytes", "5 furlongs"],
      'Option --bytes must be a size like 50mb, 1gib or 300000, got "5 furlongs"',
    ],
    [
      ["--direction", "sideways"],
      'Option --direction must be download, upload or both, got "sideways"',
    ],
    [["--seed", "-1"], 'Option --seed must be an integer 0..4294967295, got "-1"'],
    [["--seed", "4294967296"], 'Option --seed must be an integer 0..4294967295, got "4294967296"'],
    [["--profile"], "Option --profile needs a value"],
    [["--profile", "a", "--profile", "b"], "Option --profile is given twice"],
    [["--compare=yes"], 'Option --compare takes no value, got "yes"'],
    [
      ["--up", "loss=200%"],
      'Option --up: Cannot parse link profile: "loss" must be 0..100%, got "200%"',
    ],
    [["--bogus"], "Unknown flag --bogus"],
    [["--sndwind", "1024"], "Unknown flag --sndwind; did you mean --sndwnd?"],
    [["--mtu", "9000"], 'Invalid value "9000" for --mtu: must be 50..1500'],
    [["--mtu", "big"], 'Invalid value "big" for --mtu: must be an integer'],
    [["--mode"], "Missing value for --mode"],
    [["--mode", "fast3", "extra"], 'Unexpected argument "extra"'],
    [
      ["--nocomp", "true"],
      'Unexpected argument "true": boolean flags take their value after "=", as in --nocomp=true',
    ],
    [["-l", ":1234"], "Flag -l cannot be used with lab: it sets the addresses and logs itself"],
    [
      ["--target=x:1"],
      "Flag --target cannot be used with lab: it sets the addresses and logs itself",
    ],
    [["-c", "x.json"], "Flag -c cannot be used with lab: it sets the addresses and logs itself"],
    [
      ["--snmplog", "x"],
      "Flag --snmplog cannot be used with lab: it sets the addresses and logs itself",
    ],
    [["--try", ""], 'Option --try needs kcptun flags, got ""'],
    [["--try", "--mtu 99999"], 'Invalid value "99999" for --mtu: must be 50..1500'],
    [["--conn", "0"], 'Invalid value "0" for --conn: must be 1..65535'],
    [
      ["--streambuf", "9999999"],
      'Invalid value "9999999" for --streambuf: must be 1..4194304 (at most --smuxbuf)',
    ],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseLabArgs(argv), { name: "SyntaxError", message }, argv.join(" "));
  }
  assert.throws(
    () => parseLabArgs(["--profile", "nowhere"]),
    {
      name: "SyntaxError",
      message: /^Option --profile: Cannot parse link profile: unknown profile "nowhere"/,
    },
  );
});
