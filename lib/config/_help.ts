/**
 * `--help` text in the layout of kcptun's (urfave/cli): every flag with its
 * aliases, usage, default, environment variable and JSON key.
 *
 * @module
 */

import { flagsFor, type FlagSpec, type FlagValue, type Side } from "./_flags.ts";

const TITLES: Record<Side, string> = {
  client: "kcptun-compatible KCP tunnel client (with smux)",
  server: "kcptun-compatible KCP tunnel server (with smux)",
};

/** Renders the help text of one program. */
export function renderHelp(side: Side, version: string): string {
  const specs = flagsFor(side);
  const rows = (section: FlagSpec["section"]) =>
    specs.filter((spec) => spec.section === section).map((spec) => describeFlag(spec, side));
  const main = rows("main");
  const manual = rows("manual");
  const meta = [
    ...rows("meta"),
    ["--help, -h", "show help"],
    ["--version, -v", "print the version"],
  ];
  const width = Math.max(...[...main, ...manual, ...meta].map(([left]) => left.length)) + 2;
  const block = (list: string[][]) =>
    list.map(([left, right]) => "   " + left.padEnd(width) + right).join("\n");
  return [
    "NAME:",
    `   kcptun-ts ${side} - ${TITLES[side]}`,
    "",
    "USAGE:",
    `   deno run -A cli.ts ${side} [options]`,
    "",
    "VERSION:",
    `   ${version}`,
    "",
    "OPTIONS:",
    block(main),
    "",
    "MANUAL MODE OPTIONS (hidden in kcptun; used only with --mode manual):",
    block(manual),
    "",
    "OTHER OPTIONS:",
    block(meta),
    "",
    "Flag forms: -flag value, --flag value, -flag=value, --flag=value;",
    "booleans as --flag or --flag=true|false. Integers are decimal.",
    "With -c, the JSON fields present override the flags; the --mode profile",
    "is applied last. [json: x] names each flag's JSON key.",
    "",
    "Defaults follow the latest kcptun. Where kcptun 2021 (v20210922) differs:",
    "--smuxver defaulted to 1 (pass --smuxver 1 to talk to a 2021 peer left at",
    "its defaults); --framesize, --closewait, --ratelimit, --QPP and --QPPCount",
    "did not exist; --crypt null and aes-128-gcm did not exist.",
    "Not possible in Deno: --tcp is refused; --dscp and --pprof are accepted and",
    "ignored with a warning. --sockbuf is applied through libc on Linux.",
    "",
  ].join("\n");
}

function describeFlag(spec: FlagSpec, side: Side): string[] {
  const dashes = (name: string) => (name.length === 1 && name !== spec.name ? "-" : "--") + name;
  const takesValue = spec.kind !== "bool";
  const names = [spec.name, ...spec.aliases].map((name) =>
    (spec.name === "c" ? "-c" : dashes(name)) + (takesValue ? " value" : "")
  );
  let right = spec.usage + ` (default: ${showDefault(spec.defaults[side] as FlagValue)}`;
  if (spec.note !== undefined) right += `; ${spec.note}`;
  right += ")";
  if (spec.env !== undefined) right += ` [$${spec.env}]`;
  if (spec.json !== undefined) right += ` [json: ${spec.json}]`;
  return [names.join(", "), right];
}

function showDefault(value: FlagValue): string {
  return typeof value === "string" ? `"${value}"` : String(value);
}
