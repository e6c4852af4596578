/**
 * The evidence table printed at the end of `npm run test:reliability`: one row per property
 * (a test, or a whole describe block registered with groupAs), the number of requests it sent,
 * and its result. Importing this module registers root hooks, once (ES modules evaluate once).
 *
 * Requests are counted by the clients in ./http.ts; store operations (contract suites on the
 * cluster) count themselves through countRequests.
 */

type Result = "pass" | "FAIL" | "skip" | "not run";

interface Row {
  property: string;
  requests: number;
  results: Result[];
  figures: string[];
}

let requestCounter = 0;
let countAtTestStart = 0;
const requestsByTest = new WeakMap<Mocha.Runnable, number>();
const figuresByTest = new WeakMap<Mocha.Runnable, string[]>();
const groupLabels = new WeakMap<Mocha.Suite, string>();
const extraRows: Row[] = [];

/** Called by every client for every request it puts on the wire. */
export function countRequests(n = 1): void {
  requestCounter += n;
}

/** Rolls every test under `suite` into one row called `label` (contract suites have dozens of cases). */
export function groupAs(suite: Mocha.Suite, label: string): void {
  groupLabels.set(suite, label);
}

/**
 * Attaches a figure (a median, a count) to the running test's row and prints it at once, so the
 * numbers are in the log even when the test fails afterwards.
 */
export function note(ctx: Mocha.Context, figure: string): void {
  const test = ctx.test;
  if (test) figuresByTest.set(test, [...(figuresByTest.get(test) ?? []), figure]);
  console.log(`      » ${figure}`);
}

/** A property that could not be checked in this run, with the reason printed in the table. */
export function skipProperty(property: string, reason: string): void {
  console.log(`      » skipped: ${property}: ${reason}`);
  extraRows.push({ property, requests: 0, results: ["skip"], figures: [reason] });
}

function labelOf(test: Mocha.Runnable): string {
  for (let suite: Mocha.Suite | undefined = test.parent; suite; suite = suite.parent) {
    const label = groupLabels.get(suite);
    if (label) return label;
  }
  const parent = test.parent && !test.parent.root ? `${test.parent.title}: ` : "";
  return `${parent}${test.title}`;
}

function hookFailed(suite: Mocha.Suite | undefined): boolean {
  for (let s = suite; s; s = s.parent) {
    const hooks = [
      ...((s as unknown as { _beforeAll: Mocha.Hook[] })._beforeAll ?? []),
      ...((s as unknown as { _beforeEach: Mocha.Hook[] })._beforeEach ?? []),
    ];
    if (hooks.some((h) => h.state === "failed")) return true;
  }
  return false;
}

function resultOf(test: Mocha.Test): Result {
  if (test.state === "passed") return "pass";
  if (test.state === "failed") return "FAIL";
  if (test.isPending() || test.state === "pending") return "skip";
  return hookFailed(test.parent) ? "FAIL" : "not run";
}

function collect(suite: Mocha.Suite, rows: Map<string, Row>): void {
  for (const test of suite.tests) {
    const label = labelOf(test);
    const row = rows.get(label) ?? { property: label, requests: 0, results: [], figures: [] };
    row.requests += requestsByTest.get(test) ?? 0;
    row.results.push(resultOf(test));
    row.figures.push(...(figuresByTest.get(test) ?? []));
    rows.set(label, row);
  }
  for (const child of suite.suites) collect(child, rows);
}

function verdict(results: Result[]): string {
  if (results.includes("FAIL")) return "FAIL";
  if (results.every((r) => r === "skip")) return "skipped";
  if (results.every((r) => r === "not run")) return "not run";
  const passed = results.filter((r) => r === "pass").length;
  return results.length > 1 ? `pass (${passed}/${results.length})` : "pass";
}

function printTable(root: Mocha.Suite): void {
  const rows = new Map<string, Row>();
  collect(root, rows);
  const all = [...rows.values(), ...extraRows];
  const table = all.map((r) => [r.property, String(r.requests), verdict(r.results), r.figures.join("; ")] as const);
  const headers = ["property", "requests", "result", "figures"] as const;
  const width = (i: 0 | 1 | 2) => Math.min(100, Math.max(headers[i].length, ...table.map((r) => r[i].length)));
  const widths = [width(0), width(1), width(2)] as const;
  const cut = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const line = (cells: readonly [string, string, string, string]) =>
    `  ${cut(cells[0], widths[0])} | ${cells[1].padStart(widths[1])} | ${cut(cells[2], widths[2])} | ${cells[3]}`;
  const total = all.reduce((n, r) => n + r.requests, 0);
  console.log("\n  Reliability summary: what held under attack and failure");
  console.log(line(headers));
  console.log(`  ${"-".repeat(widths[0])}-+-${"-".repeat(widths[1])}-+-${"-".repeat(widths[2])}-+-${"-".repeat(20)}`);
  for (const row of table) console.log(line(row));
  console.log(`  ${all.length} properties, ${total} requests in total`);
}

beforeEach(function () {
  countAtTestStart = requestCounter;
});

afterEach(function () {
  if (this.currentTest) requestsByTest.set(this.currentTest, requestCounter - countAtTestStart);
});

after(function () {
  let root: Mocha.Suite | undefined = this.test?.parent;
  while (root?.parent) root = root.parent;
  if (root) printTable(root);
});
