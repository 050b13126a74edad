/**
 * The benchmark's chart: goodput against the link's loss rate for each implementation and
 * direction, with each profile's link rate marked, as a hand-written SVG. Pure.
 *
 * @module
 */

import type { BenchResult } from "./run.ts";

const WIDTH = 760;
const HEIGHT = 440;
const LEFT = 64;
const RIGHT = 200;
const TOP = 44;
const BOTTOM = 56;
const COLORS: Record<string, string> = { ours: "#1f77b4", go: "#e4572e", mixed: "#2ca02c" };
const IMPL_LABELS: Record<string, string> = {
  ours: "kcptun-ts",
  go: "Go kcptun",
  mixed: "kcptun-ts to Go",
};

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/** A step of 1, 2 or 5 × 10^k near `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

function num(x: number): string {
  return String(Math.round(x * 10) / 10);
}

/**
 * An SVG chart of goodput (Mbit/s) against mean loss (%) for every result on a rate-limited
 * link; results on an unlimited link (loopback) are left out, as the caption says. Failed runs
 * are plotted at their goodput (usually 0) with a hollow marker.
 *
 * @example
 * ```ts ignore
 * Deno.writeTextFileSync("goodput.svg", goodputChart(results));
 * ```
 */
export function goodputChart(results: readonly BenchResult[]): string {
  const shown = results.filter((r) => r.linkBps > 0);
  const skipped = results.length - shown.length;
  const maxLoss = Math.max(0, ...shown.map((r) => r.loss * 100));
  const xStep = maxLoss <= 5 ? 1 : 2;
  const xMax = Math.max(xStep * 2, Math.ceil(maxLoss / xStep) * xStep);
  const maxY = Math.max(1, ...shown.map((r) => Math.max(r.goodputBps, r.linkBps) / 1e6));
  const yStep = niceStep(maxY / 5);
  const yMax = Math.ceil(maxY / yStep) * yStep;
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const x = (lossPct: number) => LEFT + (lossPct / xMax) * plotW;
  const y = (mbit: number) => TOP + plotH - (mbit / yMax) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" ` +
      `viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">` +
      "Goodput vs loss rate: kcptun-ts and Go kcptun, default flags</text>",
  );
  // grid and axes
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    out.push(
      `<line x1="${LEFT}" y1="${num(y(v))}" x2="${LEFT + plotW}" y2="${num(y(v))}" ` +
        `stroke="#e5e5e5"/>`,
      `<text x="${LEFT - 8}" y="${num(y(v) + 4)}" text-anchor="end">${num(v)}</text>`,
    );
  }
  for (let v = 0; v <= xMax + 1e-9; v += xStep) {
    out.push(
      `<line x1="${num(x(v))}" y1="${TOP}" x2="${num(x(v))}" y2="${TOP + plotH}" ` +
        `stroke="#f0f0f0"/>`,
      `<text x="${num(x(v))}" y="${TOP + plotH + 18}" text-anchor="middle">${num(v)}</text>`,
    );
  }
  out.push(
    `<line x1="${LEFT}" y1="${TOP + plotH}" x2="${LEFT + plotW}" y2="${TOP + plotH}" ` +
      `stroke="#333"/>`,
    `<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${TOP + plotH}" stroke="#333"/>`,
    `<text x="${LEFT + plotW / 2}" y="${HEIGHT - 18}" text-anchor="middle">` +
      "mean loss rate of the link (%)</text>",
    `<text transform="translate(18 ${TOP + plotH / 2}) rotate(-90)" text-anchor="middle">` +
      "goodput (Mbit/s)</text>",
  );
  // link rates
  const profiles = new Map<string, BenchResult>();
  for (const r of shown) profiles.set(r.profile, r);
  for (const r of profiles.values()) {
    const px = x(r.loss * 100);
    const py = y(r.linkBps / 1e6);
    // labels right of the bar, or left of it near the right edge (the legend is there)
    const left = px > LEFT + plotW * 0.6;
    out.push(
      `<line x1="${num(px - 10)}" y1="${num(py)}" x2="${num(px + 10)}" y2="${num(py)}" ` +
        `stroke="#888" stroke-width="2"/>`,
      `<text x="${num(left ? px - 13 : px + 13)}" y="${num(py + 4)}" fill="#666" ` +
        `font-size="10"${left ? ' text-anchor="end"' : ""}>${escapeXml(r.profile)} link</text>`,
    );
  }
  // series
  const series = new Map<string, BenchResult[]>();
  for (const r of shown) {
    const key = `${r.impl} ${r.direction}`;
    series.set(key, [...(series.get(key) ?? []), r]);
  }
  let legendY = TOP + 6;
  for (const [key, list] of series) {
    const [impl, direction] = key.split(" ");
    const color = COLORS[impl] ?? "#555";
    const dash = direction === "upload" ? ` stroke-dasharray="6 4"` : "";
    const points = [...list].sort((a, b) => a.loss - b.loss);
    const path = points.map((r, i) =>
      `${i === 0 ? "M" : "L"}${num(x(r.loss * 100))} ${num(y(r.goodputBps / 1e6))}`
    ).join(" ");
    out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    for (const r of points) {
      const px = num(x(r.loss * 100));
      const py = num(y(r.goodputBps / 1e6));
      const fill = r.verified ? color : "white";
      const tip = `<title>${escapeXml(`${key}, ${r.profile}: ${num(r.goodputBps / 1e6)} Mbit/s`)}` +
        "</title>";
      out.push(
        direction === "upload"
          ? `<rect x="${num(Number(px) - 4)}" y="${num(Number(py) - 4)}" width="8" height="8" ` +
            `fill="${fill}" stroke="${color}">${tip}</rect>`
          : `<circle cx="${px}" cy="${py}" r="4.5" fill="${fill}" stroke="${color}">${tip}</circle>`,
      );
    }
    const lx = LEFT + plotW + 24;
    out.push(
      `<line x1="${lx}" y1="${legendY}" x2="${lx + 28}" y2="${legendY}" stroke="${color}" ` +
        `stroke-width="2"${dash}/>`,
      `<text x="${lx + 36}" y="${legendY + 4}">${escapeXml(IMPL_LABELS[impl] ?? impl)} ` +
        `${escapeXml(direction)}</text>`,
    );
    legendY += 20;
  }
  out.push(
    `<text x="${LEFT + plotW + 24}" y="${legendY + 10}" fill="#666" font-size="10">` +
      "grey bars: link rate</text>",
  );
  if (skipped > 0) {
    out.push(
      `<text x="${LEFT + plotW + 24}" y="${legendY + 26}" fill="#666" font-size="10">` +
        `${skipped} run(s) on unlimited links not shown</text>`,
    );
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}
