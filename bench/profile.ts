/**
 * `npm run bench:profile -- [profile|refresh|health|rejected] [--seconds=10] [--no-prof]`
 *
 * Runs hybrid-auth on PostgreSQL + Redis (the same settings as `npm run bench`) under node's
 * --cpu-prof, drives one scenario with autocannon, and prints the functions that used the most
 * server CPU (self time, and time by package). The .cpuprofile is kept for Chrome DevTools.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../src/infrastructure/config.js";
import { LoadWorker, type RequestPlan } from "./lib/load.js";
import { Seeder } from "./lib/seed.js";
import { benchServerEnv, freePort, START_NODE_FLAGS } from "./lib/servers.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const argv = process.argv.slice(2);
const scenario = argv.find((a) => !a.startsWith("--")) ?? "profile";
const seconds = Number(argv.find((a) => a.startsWith("--seconds="))?.split("=")[1] ?? 10);
/** Only the figures: for quick A/B comparisons without the profiler's overhead. */
const profiling = !argv.includes("--no-prof");
const id = randomBytes(4).toString("hex");
const dir = path.join(os.tmpdir(), `hybrid-auth-profile-${id}`);
mkdirSync(dir, { recursive: true });
const env = benchServerEnv(dir);
const config = loadConfig(env, { persistSecrets: false });

async function main() {
  const seeder = await Seeder.open(config, id);
  const port = await freePort();
  const child = spawn("taskset", ["-c", "0", process.execPath, ...START_NODE_FLAGS, ...(profiling ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : []), "--import", "tsx", path.join(ROOT, "src/infrastructure/server.ts")], {
    env: { ...env, PORT: String(port) },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  const worker = new LoadWorker("1");
  try {
    await seeder.createUsers(200, config.bcryptCost);
    for (;;) {
      try {
        if ((await fetch(`${url}/api/v1/health`)).ok) break;
      } catch {}
      await sleep(100);
    }
    let plan: RequestPlan;
    const AUTH = "/api/v1/auth";
    if (scenario === "health") plan = { kind: "get", path: "/api/v1/health" };
    else if (scenario === "refresh") plan = { kind: "refresh", path: `${AUTH}/refresh-token`, tokens: (await seeder.mintSessions(40_000)).map((t) => t.refreshToken) };
    else if (scenario === "rejected") plan = { kind: "signin", path: `${AUTH}/signin`, credentials: [{ email: await seeder.blockedEmail(), password: "wrong-password-1", ip: "10.255.255.254" }] };
    else plan = { kind: "bearer", path: `${AUTH}/profile`, tokens: (await seeder.mintSessions(1000)).map((t) => t.accessToken) };
    await worker.run({ url, plan: scenario === "refresh" ? { ...plan, tokens: (plan as { tokens: string[] }).tokens.splice(0, 3000) } as RequestPlan : plan, connections: 100, duration: 2 });
    const cpuBefore = cpuMs(child.pid!);
    const r = await worker.run({ url, plan, connections: 100, duration: seconds });
    const cpu = cpuMs(child.pid!) - cpuBefore;
    console.log(`${scenario}: ${r.rps.toFixed(0)} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}, server CPU ${((cpu * 1000) / r.responses).toFixed(1)} µs per response`);
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    worker.close();
    await seeder.cleanup();
    await seeder.close();
  }
  if (!profiling) return;
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no profile written in ${dir}`);
  summarize(path.join(dir, file));
}

/** CPU time (user + system) of a process so far, in ms, from /proc (USER_HZ = 100). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
function summarize(file: string) {
  const prof = JSON.parse(readFileSync(file, "utf8")) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  prof.samples.forEach((s, i) => self.set(s, (self.get(s) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fnSelf = new Map<string, number>();
  const pkgSelf = new Map<string, number>();
  for (const [nid, t] of self) {
    const n = byId.get(nid)!;
    const u = n.callFrame.url.replace(/^file:\/\//, "").replace(ROOT, "");
    const key = `${n.callFrame.functionName || "(anon)"} ${u}:${n.callFrame.lineNumber + 1}`;
    fnSelf.set(key, (fnSelf.get(key) ?? 0) + t);
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1] ?? (u.startsWith("src/") ? u.split("/").slice(0, 3).join("/") : u.startsWith("node:") ? u.split("/")[0]! : n.callFrame.functionName.startsWith("(") ? n.callFrame.functionName : u || "(native)");
    pkgSelf.set(pkg, (pkgSelf.get(pkg) ?? 0) + t);
  }
  const top = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, t]) => `${((100 * t) / total).toFixed(1).padStart(5)}%  ${name}`).join("\n");
  console.log(`\nself time by package (${(total / 1e6).toFixed(1)} s sampled):\n${top(pkgSelf, 25)}`);
  console.log(`\nself time by function:\n${top(fnSelf, 40)}`);
  console.log(`\nprofile: ${file}`);
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
