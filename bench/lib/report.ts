import type { LoadResult } from "./load.js";

export interface ScenarioRow {
  id: string;
  title: string;
  /** Where the server ran: "cpu 0" (pinned, load generator on cpu 1) or "all cores". */
  server: string;
  connections: number;
  overallRate?: number;
  rps: number;
  okRps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** rps / ceiling rps. */
  vsCeiling: number;
  /** Server CPU time per response, µs (null when not measured: concurrent streams, no /proc). */
  cpuUs: number | null;
  result: LoadResult;
  note?: string;
}

export interface TargetCheck {
  id: number;
  target: string;
  measured: string;
  pass: boolean;
}

export function row(id: string, title: string, server: string, spec: { connections: number; overallRate?: number }, result: LoadResult, ceilingRps: number, note?: string): ScenarioRow {
  return {
    id,
    title,
    server,
    connections: spec.connections,
    ...(spec.overallRate !== undefined ? { overallRate: spec.overallRate } : {}),
    rps: round(result.rps),
    okRps: round(result.okRps),
    p50: result.latencyMs.p50,
    p99: result.latencyMs.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    vsCeiling: ceilingRps > 0 ? Math.round((result.rps / ceilingRps) * 1000) / 1000 : 0,
    cpuUs: result.serverCpu?.usPerResponse ?? null,
    result,
    ...(note ? { note } : {}),
  };
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export const pct = (ratio: number) => `${round(ratio * 100)}%`;

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function formatScenarios(rows: ScenarioRow[]): string {
  return table(
    ["scenario", "server", "conns", "req/s", "2xx/s", "p50 ms", "p99 ms", "non-2xx", "errors", "x ceiling", "cpu µs/req"],
    rows.map((r) => [
      r.title,
      r.server,
      r.overallRate !== undefined ? `${r.connections}@${r.overallRate}/s` : String(r.connections),
      r.rps.toFixed(1),
      r.okRps.toFixed(1),
      r.p50.toFixed(2),
      r.p99.toFixed(2),
      String(r.non2xx),
      String(r.errors),
      pct(r.vsCeiling),
      r.cpuUs === null ? "-" : r.cpuUs.toFixed(0),
    ]),
  );
}

export function formatTargets(checks: TargetCheck[]): string {
  return table(
    ["#", "target", "measured", "result"],
    checks.map((c) => [String(c.id), c.target, c.measured, c.pass ? "PASS" : "MISS"]),
  );
}
