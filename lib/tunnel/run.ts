/**
 * What `runClient` and `runServer` share: wait for the stop signal, dump the counters on
 * SIGUSR1 (like kcptun), then stop gracefully.
 *
 * @module
 */

import type { Snmp } from "../session/snmp.ts";
import { SNMP_FIELDS } from "../session/snmp.ts";
import { logger } from "../log.ts";

/** One line with every counter: `BytesSent=… BytesReceived=… …`. */
export function formatCounters(snmp: Snmp): string {
  return SNMP_FIELDS.map((f) => `${f}=${snmp[f]}`).join(" ");
}

/** Runs until `signal` aborts, logging counters on SIGUSR1, then awaits `close()`. */
export async function runUntilAborted(
  handle: { snmp: Snmp; close(): Promise<void> },
  signal: AbortSignal,
): Promise<void> {
  const log = logger("snmp");
  const dump = () => log.info(formatCounters(handle.snmp));
  let listening = false;
  try {
    Deno.addSignalListener("SIGUSR1", dump);
    listening = true;
  } catch {
    // platforms without SIGUSR1
  }
  try {
    await new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
  } finally {
    if (listening) Deno.removeSignalListener("SIGUSR1", dump);
  }
  await handle.close();
}
