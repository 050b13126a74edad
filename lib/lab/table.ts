/**
 * A Markdown table with padded columns: readable as plain text on a terminal and renders as a
 * table when pasted into Markdown. Pure.
 *
 * @module
 */

/** Column alignment: left or right. */
export type Align = "l" | "r";

/**
 * Renders `rows` under `headers` as a Markdown table, each column padded to its widest cell.
 * Cells must not contain `|` or line breaks (they are not escaped).
 *
 * @param align One entry per column; missing entries are left-aligned.
 *
 * @example
 * ```ts
 * import { markdownTable } from "./table.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   markdownTable(["impl", "Mbit/s"], [["ours", "41.5"], ["go", "105.8"]], ["l", "r"]),
 *   "| impl | Mbit/s |\n|------|-------:|\n| ours |   41.5 |\n| go   |  105.8 |\n",
 * );
 * ```
 */
export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const cell = (text: string, i: number) =>
    align[i] === "r" ? text.padStart(widths[i]) : text.padEnd(widths[i]);
  const line = (cells: readonly string[]) =>
    `| ${headers.map((_, i) => cell(cells[i] ?? "", i)).join(" | ")} |\n`;
  const rule = `|${
    widths.map((w, i) => (align[i] === "r" ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|")
  }|\n`;
  return line(headers) + rule + rows.map(line).join("");
}
