import assert from "node:assert/strict";
import { markdownTable } from "../../lib/lab/table.ts";

Deno.test("markdownTable: pads to the widest cell, aligns right where asked", () => {
  assert.equal(
    markdownTable(["a", "number"], [["long cell", "1"], ["b", "12345678"]], ["l", "r"]),
    "| a         |   number |\n" +
      "|-----------|---------:|\n" +
      "| long cell |        1 |\n" +
      "| b         | 12345678 |\n",
  );
});

Deno.test("markdownTable: missing cells and alignments, no rows", () => {
  assert.equal(markdownTable(["x", "y"], [["1"]]), "| x | y |\n|---|---|\n| 1 |   |\n");
  assert.equal(markdownTable(["only"], []), "| only |\n|------|\n");
});
