/**
 * The kcptun-ts command line: a thin shell that reads flags into a typed
 * config, runs the tunnel and maps the outcome to an exit code
 * (0 done, 1 runtime error, 2 usage error).
 *
 * ```sh
 * deno run -A cli.ts client -l :12948 -r vps:29900 --key secret
 * deno run -A cli.ts server -l :29900 -t 127.0.0.1:12948 --key secret
 * deno run -A cli.ts client --help
 * ```
 *
 * @module
 */

import {
  type ClientConfig,
  ConfigError,
  type EnvLookup,
  type InfoRequest,
  parseClientConfig,
  parseServerConfig,
  type ServerConfig,
  VERSION,
} from "./lib/config/config.ts";
import { setupLogging } from "./lib/log.ts";
import { LAB_USAGE } from "./lib/lab/args.ts";

type Parse<C> = (
  argv: string[],
  env: EnvLookup,
  readTextFile: (path: string) => string,
) => C | InfoRequest;
type Run<C> = (config: C, options: { signal: AbortSignal }) => Promise<void>;

interface Command {
  /** One line for the command list. */
  readonly summary: string;
  /** Runs with the arguments after the subcommand; resolves to the exit code. */
  readonly run: (args: string[]) => Promise<number>;
  /** Help text, for `cli.ts help <command>`. */
  readonly help?: () => string;
}

const COMMANDS: Record<string, Command> = {
  client: {
    summary: "run the tunnel client (kcptun-client)",
    run: (args) =>
      runTunnel<ClientConfig>("client", args, parseClientConfig, async (config, options) => {
        // Loaded on demand: --help, --version and usage errors need none of the tunnel.
        const { runClient } = await import("./lib/tunnel/client.ts");
        await runClient(config, options);
      }),
    help: () => helpOf(parseClientConfig),
  },
  server: {
    summary: "run the tunnel server (kcptun-server)",
    run: (args) =>
      runTunnel<ServerConfig>("server", args, parseServerConfig, async (config, options) => {
        const { runServer } = await import("./lib/tunnel/server.ts");
        await runServer(config, options);
      }),
    help: () => helpOf(parseServerConfig),
  },
  lab: {
    summary: "measure the tunnel on an emulated lossy link (--compare: against Go kcptun)",
    run: async (args) => {
      const { runLabCommand } = await import("./lib/lab/command.ts");
      return await runLabCommand(args, {
        out: writeOut,
        err: writeErr,
        isTerminal: Deno.stdout.isTerminal(),
      });
    },
    help: () => LAB_USAGE,
  },
  version: {
    summary: "print the version",
    run: () => {
      writeOut(`kcptun-ts ${VERSION}\n`);
      return Promise.resolve(0);
    },
  },
  help: {
    summary: "show this help, or a command's: help client",
    run: (args) => {
      const topic = args[0];
      if (topic === undefined) {
        writeOut(usage());
        return Promise.resolve(0);
      }
      const help = Object.hasOwn(COMMANDS, topic) ? COMMANDS[topic].help : undefined;
      if (help === undefined) return Promise.resolve(usageError(`Unknown command "${topic}"`));
      writeOut(help());
      return Promise.resolve(0);
    },
  },
};

/**
 * Runs the CLI with `args` (without the program name) and resolves to the
 * process exit code: 0 on success or help, 1 on a runtime error, 2 on a
 * usage error. Prints to stdout/stderr; never calls `Deno.exit` except on a
 * second SIGINT/SIGTERM while shutting down.
 *
 * @example
 * ```ts ignore
 * import { main } from "./cli.ts";
 * Deno.exitCode = await main(["client", "--version"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined) {
    writeErr(usage());
    return 2;
  }
  if (name === "--help" || name === "-h") return await COMMANDS.help.run([]);
  if (name === "--version" || name === "-v") return await COMMANDS.version.run([]);
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) return usageError(`Unknown command "${name}"`);
  return await command.run(rest);
}

async function runTunnel<C extends ClientConfig | ServerConfig>(
  name: string,
  args: string[],
  parse: Parse<C>,
  run: Run<C>,
): Promise<number> {
  let parsed: C | InfoRequest;
  try {
    parsed = parse(args, Deno.env, Deno.readTextFileSync);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    writeErr(`${error.message}\nRun "cli.ts ${name} --help" for usage.\n`);
    return 2;
  }
  if ("help" in parsed) {
    writeOut(parsed.help);
    return 0;
  }
  if ("version" in parsed) {
    writeOut(`kcptun-ts ${parsed.version}\n`);
    return 0;
  }
  const config = parsed;
  for (const warning of config.warnings) writeErr(`Warning: ${warning}\n`);

  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) Deno.exit(130); // a second signal: stop waiting
    controller.abort();
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  let disposeLogging: (() => Promise<void>) | undefined;
  try {
    disposeLogging = await setupLogging({ file: config.log, quiet: config.quiet });
    await run(config, { signal: controller.signal });
    return 0;
  } catch (error) {
    writeErr(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
    await disposeLogging?.();
  }
}

function helpOf(parse: Parse<unknown>): string {
  const result = parse(["--help"], { get: () => undefined }, () => "");
  return (result as { help: string }).help;
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length)) + 2;
  const lines = Object.entries(COMMANDS).map(([name, command]) =>
    `   ${name.padEnd(width)}${command.summary}`
  );
  return [
    `kcptun-ts ${VERSION} - a kcptun-compatible KCP tunnel for Deno`,
    "",
    "USAGE:",
    "   deno run -A cli.ts <command> [options]",
    "",
    "COMMANDS:",
    ...lines,
    "",
    'Run "cli.ts <command> --help" for the options of a command.',
    "",
  ].join("\n");
}

function usageError(message: string): number {
  writeErr(`${message}\nRun "cli.ts help" for usage.\n`);
  return 2;
}

const encoder = new TextEncoder();

function writeAll(stream: { writeSync(bytes: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  for (let written = 0; written < bytes.length;) {
    written += stream.writeSync(bytes.subarray(written));
  }
}

function writeOut(text: string): void {
  writeAll(Deno.stdout, text);
}

function writeErr(text: string): void {
  writeAll(Deno.stderr, text);
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
