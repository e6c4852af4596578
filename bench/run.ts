/**
 * `npm run bench [-- --quick] [-- --hash-concurrency=1,2]`
 *
 * Starts a bare Koa app (the ceiling) and hybrid-auth on PostgreSQL + Redis, each in its own
 * process, drives them with autocannon from a child process on another core, prints each
 * scenario next to the issue's targets and writes the same figures to bench/results/<time>.json.
 * A measurement, not a test: it exits 0 whatever the figures are.
 *
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/hybrid_auth_bench,
 * created when missing), REDIS_URL (default redis://127.0.0.1:6379/5), BCRYPT_COST (12),
 * HASH_MAX_QUEUE. The run adds its own users and sessions and removes them at the end.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { loadConfig } from "../src/infrastructure/config.js";
import { measureHashBound, type HashBound } from "./lib/hash-bound.js";
import { LoadWorker, type LoadResult, type LoadSpec, type RequestPlan } from "./lib/load.js";
import { formatScenarios, formatTargets, pct, round, row, type ScenarioRow, type TargetCheck } from "./lib/report.js";
import { Seeder } from "./lib/seed.js";
import { benchServerEnv, kill, startServer, type ServerProcess } from "./lib/servers.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RESULTS_DIR = path.join(ROOT, "bench", "results");
const AUTH = "/api/v1/auth";

// ---------------------------------------------------------------- options

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const value = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
if (flag("help")) {
  console.log("npm run bench [-- --quick] [--duration=S] [--hash-concurrency=1,2] [--users=N]");
  process.exit(0);
}
const QUICK = flag("quick");
const DURATION = Number(value("duration") ?? (QUICK ? 2 : 10));
const WARMUP = QUICK ? 1 : 3;
/** The ceiling and the throughput scenarios run in interleaved rounds; the median round counts. */
const ROUNDS = QUICK ? 1 : 3;
const ROUND_SECONDS = QUICK ? DURATION : Math.max(3, Math.round(DURATION / 2));
const CONNECTIONS = 100;
const USERS = Number(value("users") ?? 200);
const HASH_CONCURRENCIES: Array<number | null> = value("hash-concurrency")?.split(",").map(Number) ?? [null];
const MEMORY_FIRST = QUICK ? 2_000 : 20_000;
const MEMORY_TOTAL = QUICK ? 10_000 : 200_000;
/** Blocked-email requests per second sent while a sign-in flood runs (their p99 is target 5). */
const REJECTED_RATE = 200;

const hasTaskset = (() => {
  try {
    execFileSync("taskset", ["-c", "0", "true"], { stdio: "ignore" });
    return os.availableParallelism() >= 2;
  } catch {
    return false;
  }
})();
const SERVER_CPU = hasTaskset ? "0" : null;
const LOAD_CPU = hasTaskset ? "1" : null;
const PINNED = hasTaskset ? "cpu 0" : "any";
const FREE = "all cores";

// ---------------------------------------------------------------- environment

const runId = new Date().toISOString().replace(/[:.]/g, "-");
const shortId = randomBytes(4).toString("hex");
const dataDir = path.join(os.tmpdir(), `hybrid-auth-bench-${shortId}`);
mkdirSync(dataDir, { recursive: true });
const serverEnv = benchServerEnv(dataDir);
delete serverEnv.HASH_CONCURRENCY;
const config = loadConfig({ ...serverEnv, HASH_CONCURRENCY: undefined }, { persistSecrets: false });

function machine() {
  const cpuinfo = (() => {
    try {
      return readFileSync("/proc/cpuinfo", "utf8");
    } catch {
      return "";
    }
  })();
  return {
    nproc: os.availableParallelism(),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? "unknown",
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: os.loadavg().map((n) => round(n, 2)),
    taskset: hasTaskset,
  };
}

async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (!rowCount) await client.query(`create database "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------- helpers

const t0 = Date.now();
const log = (msg: string) => console.log(`[bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}`);
const logFile = (name: string) => path.join(dataDir, `${name}.log`);

function hybridAuth(name: string, cpus: string | null, extra: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  return startServer({ name, script: path.join(ROOT, "src/infrastructure/server.ts"), env: { ...serverEnv, ...extra }, cpus, logFile: logFile(name), readyPath: "/api/v1/health" });
}

function ceilingServer(name = "ceiling", cpus: string | null = SERVER_CPU): Promise<ServerProcess> {
  return startServer({ name, script: path.join(ROOT, "bench/ceiling-server.ts"), env: serverEnv, cpus, logFile: logFile(name), readyPath: "/" });
}

const workers = [new LoadWorker(LOAD_CPU), new LoadWorker(LOAD_CPU)] as const;
const [L1, L2] = workers;

/** The run with the median req/s (the lower middle one for an even count). */
function medianRun(list: LoadResult[]): LoadResult {
  return [...list].sort((a, b) => a.rps - b.rps)[Math.floor((list.length - 1) / 2)]!;
}

/** One run, with the server's CPU time over it. */
async function timed(server: ServerProcess, worker: LoadWorker, spec: LoadSpec): Promise<LoadResult> {
  const before = server.cpuMs();
  const result = await worker.run(spec);
  const after = server.cpuMs();
  if (before !== null && after !== null && result.responses > 0) {
    result.serverCpu = {
      usPerResponse: round(((after - before) * 1000) / result.responses),
      percentOfCore: round((100 * (after - before)) / 1000 / result.durationSeconds),
    };
  }
  return result;
}

/**
 * The server's CPU over a window, in % of a core: each hashing thread (the ones at a raised nice
 * value; HASH_NICE=0 puts them with the rest), the event loop (the main thread) and everything
 * else (V8's helpers, libuv's pool). Null without /proc.
 */
function threadShares(pid: number, before: ReturnType<ServerProcess["threadsCpuMs"]>, after: ReturnType<ServerProcess["threadsCpuMs"]>, seconds: number) {
  if (!before || !after) return null;
  const pct = (ms: number) => round((100 * ms) / 1000 / seconds);
  const hashing: number[] = [];
  let eventLoop = 0;
  let other = 0;
  for (const [tid, now] of after) {
    const used = now.cpuMs - (before.get(tid)?.cpuMs ?? 0);
    if (tid === pid) eventLoop = used;
    else if (now.nice > 0) hashing.push(pct(used));
    else other += used;
  }
  return { hashing: hashing.sort((a, b) => b - a), eventLoop: pct(eventLoop), other: pct(other) };
}

/** A warm-up (discarded) then the measured run, same plan. */
async function measure(server: ServerProcess, worker: LoadWorker, spec: LoadSpec): Promise<LoadResult> {
  if (spec.amount === undefined) await worker.run({ ...spec, duration: WARMUP });
  return timed(server, worker, spec);
}

const rows: ScenarioRow[] = [];
let ceilingRps = 0;
/** Appends (or inserts at `at`, for a figure computed after the ones that follow it) and logs. */
function record(r: ScenarioRow, at = rows.length): ScenarioRow {
  rows.splice(at, 0, r);
  const extra = r.note ? `  (${r.note})` : "";
  log(`${r.title}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}${extra}`);
  return r;
}

// ---------------------------------------------------------------- the run

async function main(): Promise<void> {
  const startedAt = new Date();
  const machineAtStart = machine();
  log(`${QUICK ? "quick" : "full"} run ${runId}: ${machineAtStart.nproc} cores (${machineAtStart.cpuModel}), node ${machineAtStart.node}, load average ${machineAtStart.loadAverage.join(" ")}`);
  if (!hasTaskset) log("taskset unavailable or a single core: server and load generator share the cores");
  log(`server logs and data in ${dataDir} (removed after a successful run)`);

  await ensureDatabase(config.databaseUrl!);
  const seeder = await Seeder.open(config, shortId);
  const servers: ServerProcess[] = [];
  let completed = false;
  try {
    await seeder.createUsers(USERS, config.bcryptCost);
    const credentials = seeder.credentials();

    // Idle servers cost nothing, so start them all at once: start-up (tsx) is the slow part.
    const hcFirst = HASH_CONCURRENCIES[0] ?? null;
    const hcEnv = (hc: number | null): NodeJS.ProcessEnv => (hc === null ? {} : { HASH_CONCURRENCY: String(hc) });
    // "spare" serves the memory run first (it must not have served anything before), then the
    // horizontal run as the second process.
    // "floor": bare Koa on any core, answering the paced requests of target 5 during the same
    // sign-in flood, so the run shows how much of the 429's tail is the machine's.
    const [ceiling, pinned, free, spare, floor] = await Promise.all([
      ceilingServer(),
      hybridAuth("hybrid-auth-pinned", SERVER_CPU),
      hybridAuth(`hybrid-auth-free-hc${hcFirst ?? "default"}`, null, hcEnv(hcFirst)),
      hybridAuth("hybrid-auth-spare", null),
      ceilingServer("floor", null),
    ]);
    servers.push(ceiling, pinned, free, spare, floor);
    log("servers ready");

    const C = CONNECTIONS;
    const profileTokens = (await seeder.mintSessions(USERS * (QUICK ? 2 : 5))).map((t) => t.accessToken);
    const profilePlan: RequestPlan = { kind: "bearer", path: `${AUTH}/profile`, tokens: profileTokens };

    // --- ceiling and the throughput scenarios: server on cpu 0, load generator on cpu 1. In
    // ROUNDS interleaved rounds (ceiling, health, profile, refresh, again): the machine's
    // background load drifts, and a ratio of figures taken minutes apart would measure the drift.
    const getPlan = (path: string): RequestPlan => ({ kind: "get", path });
    const refreshPath = `${AUTH}/refresh-token`;
    await L1.run({ url: ceiling.url, plan: getPlan("/"), connections: C, duration: WARMUP });
    await L1.run({ url: floor.url, plan: getPlan("/"), connections: C, duration: WARMUP });
    await L1.run({ url: pinned.url, plan: getPlan("/api/v1/health"), connections: C, duration: WARMUP });
    await L1.run({ url: pinned.url, plan: profilePlan, connections: C, duration: WARMUP });
    // Refresh: every request presents a token never used before; the warm-up's rate sizes the pools.
    const warmTokens = (await seeder.mintSessions(QUICK ? 1_500 : 5_000)).map((t) => t.refreshToken);
    const warm = await L1.run({ url: pinned.url, plan: { kind: "refresh", path: refreshPath, tokens: warmTokens }, connections: C, amount: warmTokens.length - 200 });
    let refreshRate = warm.rps;
    const runs = { ceiling: [] as LoadResult[], health: [] as LoadResult[], profile: [] as LoadResult[], refresh: [] as LoadResult[] };
    let refreshPool = 0;
    for (let round = 0; round < ROUNDS; round++) {
      runs.ceiling.push(await timed(ceiling, L1, { url: ceiling.url, plan: getPlan("/"), connections: C, duration: ROUND_SECONDS }));
      runs.health.push(await timed(pinned, L1, { url: pinned.url, plan: getPlan("/api/v1/health"), connections: C, duration: ROUND_SECONDS }));
      runs.profile.push(await timed(pinned, L1, { url: pinned.url, plan: profilePlan, connections: C, duration: ROUND_SECONDS }));
      // Sized so the pool cannot run out: a refresh is never faster than a /profile read (it does
      // that read and more), and the warm-up's rate may be a cold process's.
      const ceilingForRefresh = Math.max(refreshRate, runs.profile[round]!.rps);
      const pool = (await seeder.mintSessions(Math.ceil(ceilingForRefresh * ROUND_SECONDS * 1.5) + 2_000)).map((t) => t.refreshToken);
      refreshPool += pool.length;
      const r = await timed(pinned, L1, { url: pinned.url, plan: { kind: "refresh", path: refreshPath, tokens: pool }, connections: C, duration: ROUND_SECONDS });
      refreshRate = Math.max(refreshRate, r.rps);
      runs.refresh.push(r);
      log(`round ${round + 1}/${ROUNDS}: ceiling ${runs.ceiling[round]!.rps.toFixed(0)}, health ${runs.health[round]!.rps.toFixed(0)}, profile ${runs.profile[round]!.rps.toFixed(0)}, refresh ${r.rps.toFixed(0)} req/s`);
    }
    const ceilingRun = medianRun(runs.ceiling);
    const health = medianRun(runs.health);
    const profile = medianRun(runs.profile);
    const refresh = medianRun(runs.refresh);
    ceilingRps = ceilingRun.rps;
    const roundsNote = (list: LoadResult[]) => (ROUNDS > 1 ? `median of ${ROUNDS} rounds: ${list.map((r) => round(r.rps, 0)).join(" / ")} req/s` : "");
    const joinNotes = (...notes: string[]) => notes.filter(Boolean).join("; ");
    record(row("ceiling", "bare Koa {hello:world} (ceiling)", PINNED, { connections: C }, ceilingRun, ceilingRps, roundsNote(runs.ceiling)));
    record(row("health", "GET /api/v1/health", PINNED, { connections: C }, health, ceilingRps, roundsNote(runs.health)));
    const profileRow = record(row("profile", "GET /auth/profile (bearer, 200 users)", PINNED, { connections: C }, profile, ceilingRps, joinNotes(`${profileTokens.length} sessions`, roundsNote(runs.profile))));
    const refreshExhausted = runs.refresh.some((r) => r.poolExhausted);
    const refreshRow = record(
      row("refresh", "POST /auth/refresh-token (fresh token each)", PINNED, { connections: C }, refresh, ceilingRps,
        joinNotes(refreshExhausted ? "a token pool ran out: its 401s are re-used tokens" : `${refreshPool} fresh tokens`, roundsNote(runs.refresh))),
    );
    await Promise.all([ceiling.stop(), pinned.stop()]);

    // --- memory: a process that has served nothing yet, RSS after 20k and after 200k authenticated
    // requests, sampled after every 20k so a plateau (heap sizing) and a leak (steady growth)
    // can be told apart.
    const chunk = MEMORY_FIRST;
    // Meanwhile (RSS does not mind sharing the cores) warm up the process the sign-in scenarios
    // use, so its first figures are not those of cold JIT code and empty connection pools.
    const warming = L2.run({ url: free.url, plan: profilePlan, connections: C, duration: QUICK ? 5 : 15 });
    const rssTrail: Array<{ requests: number; rssMiB: number | null }> = [];
    let memNon2xx = 0;
    let memErrors = 0;
    for (let served = 0; served < MEMORY_TOTAL; served += chunk) {
      const r = await L1.run({ url: spare.url, plan: profilePlan, connections: C, amount: chunk });
      memNon2xx += r.non2xx;
      memErrors += r.errors;
      await sleep(200);
      const rss = spare.rssBytes();
      rssTrail.push({ requests: served + chunk, rssMiB: rss === null ? null : round(rss / 2 ** 20) });
    }
    await warming;
    const rssFirstMiB = rssTrail[0]?.rssMiB ?? null;
    const rssTotalMiB = rssTrail[rssTrail.length - 1]?.rssMiB ?? null;
    const memory = {
      requestsFirst: MEMORY_FIRST,
      requestsTotal: MEMORY_TOTAL,
      rssFirstMiB,
      rssTotalMiB,
      growth: rssFirstMiB && rssTotalMiB ? round(rssTotalMiB / rssFirstMiB, 3) : null,
      rssTrail,
      non2xx: memNon2xx,
      errors: memErrors,
    };
    log(`memory: RSS ${memory.rssFirstMiB} MiB after ${MEMORY_FIRST} requests, ${memory.rssTotalMiB} MiB after ${MEMORY_TOTAL} (x${memory.growth}); every ${chunk}: ${rssTrail.map((t) => t.rssMiB).join(" ")}`);

    // --- the password-hash bound, outside any server, all cores
    // Measured again after the sign-in scenarios (full runs) and the higher one kept: a burst of
    // someone else's work on this machine during the few seconds of one measurement halves it.
    const hashBounds: HashBound[] = [await measureHashBound(config.bcryptCost, os.availableParallelism(), QUICK ? 2 : 6)];
    let hashBound = hashBounds[0]!;
    log(`hash bound: ${hashBound.hashesPerSecond.toFixed(2)} bcrypt(${hashBound.cost}) comparisons/s with ${hashBound.parallel} in parallel (${hashBound.msPerHash.toFixed(0)} ms each)`);

    // --- sign-in and everything around it: the server may use every core (hashing needs them)
    const blocked = await seeder.blockedEmail();
    const signinPath = `${AUTH}/signin`;
    const signinPlan: RequestPlan = { kind: "signin", path: signinPath, credentials };
    const blockedPlan: RequestPlan = { kind: "signin", path: signinPath, credentials: [{ email: blocked, password: "a-wrong-password", ip: "10.255.255.254" }] };
    const variants: Array<Record<string, unknown>> = [];
    let horizontal: Record<string, unknown> | null = null;

    for (const [i, hc] of HASH_CONCURRENCIES.entries()) {
      const effectiveHc = hc ?? os.availableParallelism();
      const tag = HASH_CONCURRENCIES.length > 1 || hc !== null ? ` [HASH_CONCURRENCY=${effectiveHc}]` : "";
      const server = i === 0 ? free : await hybridAuth(`hybrid-auth-free-hc${hc}`, null, hcEnv(hc));
      if (i > 0) servers.push(server);
      const timeoutSeconds = 120;

      const fixedRate = Math.max(1, Math.floor(hashBound.hashesPerSecond * 0.5));
      const fixedSpec = { url: server.url, plan: signinPlan, connections: Math.min(C, fixedRate), overallRate: fixedRate, duration: QUICK ? 3 : DURATION, timeoutSeconds };
      const fixed = await timed(server, L1, fixedSpec);
      const fixedRow = record(row(`signin-fixed${tag}`, `POST /auth/signin at ${fixedRate}/s (half the hash bound)${tag}`, FREE, fixedSpec, fixed, ceilingRps));

      const quiet = await measure(server, L1, { url: server.url, plan: profilePlan, connections: C, duration: DURATION });
      const quietRow = record(row(`profile-quiet${tag}`, `GET /auth/profile, quiet${tag}`, FREE, { connections: C }, quiet, ceilingRps));

      if (i === 0) {
        // Horizontal: two processes on one PostgreSQL and one Redis, one load generator each.
        const half = Math.floor(C / 2);
        const [a, b] = await Promise.all([
          L1.run({ url: server.url, plan: profilePlan, connections: half, duration: DURATION }),
          L2.run({ url: spare.url, plan: profilePlan, connections: half, duration: DURATION }),
        ]);
        await spare.stop();
        const sum = a.rps + b.rps;
        horizontal = {
          endpoint: "GET /api/v1/auth/profile",
          oneProcessRps: round(quiet.rps),
          twoProcessesRps: round(sum),
          perProcessRps: [round(a.rps), round(b.rps)],
          growth: round(sum / quiet.rps, 3),
          p99Ms: [a.latencyMs.p99, b.latencyMs.p99],
          non2xx: a.non2xx + b.non2xx,
          errors: a.errors + b.errors,
        };
        log(`horizontal: 1 process ${quiet.rps.toFixed(0)} req/s, 2 processes ${sum.toFixed(0)} req/s (x${(sum / quiet.rps).toFixed(2)})`);

        if (!QUICK) {
          const rejectFlood = await measure(server, L1, { url: server.url, plan: blockedPlan, connections: C, duration: DURATION });
          record(row("rejected-saturation", "POST /auth/signin, blocked email, saturation (429s)", FREE, { connections: C }, rejectFlood, ceilingRps));
        }
      }

      // One flood: far more sign-ins than the hashes can serve, kept up without a break (a new
      // autocannon instance would queue behind the abandoned requests of the previous one).
      // Its first seconds measure sign-in throughput at saturation; then, while it goes on,
      // /profile and then the blocked email are measured from the other load generator.
      const satFrom = QUICK ? 1 : 2;
      const satSeconds = QUICK ? 3 : Math.max(DURATION, 15);
      const floodSpec = { url: server.url, plan: signinPlan, connections: C, duration: satFrom + satSeconds + (1 + 2 * ROUNDS) * DURATION + 2 * WARMUP + 1, timeoutSeconds };
      const satAt = rows.length;
      const floodStarted = Date.now();
      const flood = L1.run(floodSpec);
      // Who gets the cores while sign-ins saturate: the hashing threads against the rest.
      await sleep(satFrom * 1000 - (Date.now() - floodStarted));
      const threadsAtSat = server.threadsCpuMs();
      await sleep((satFrom + satSeconds) * 1000 - (Date.now() - floodStarted));
      const satShares = threadShares(server.pid, threadsAtSat, server.threadsCpuMs(), satSeconds);
      const duringCpu0 = server.cpuMs();
      const during = await L2.run({ url: server.url, plan: profilePlan, connections: C, duration: DURATION });
      const duringCpu1 = server.cpuMs();
      const duringRow = record(
        row(`profile-flood${tag}`, `GET /auth/profile during a sign-in flood${tag}`, FREE, { connections: C }, during, ceilingRps, `p99 x${(during.latencyMs.p99 / quiet.latencyMs.p99).toFixed(2)} of quiet`),
      );
      const rejectSpec = { url: server.url, plan: blockedPlan, connections: 10, overallRate: REJECTED_RATE, paced: true, duration: DURATION };
      // The machine's floor for that figure: the same paced client against bare Koa (unpinned,
      // like this server) while the same flood goes on.
      const floorSpec = { url: floor.url, plan: { kind: "get", path: "/" } as RequestPlan, connections: 10, overallRate: REJECTED_RATE, paced: true, duration: DURATION };
      // Both warmed up like every other scenario (the refusal path has not run yet: its first
      // thousand requests are the JIT's, not the steady state's), still inside the flood; then
      // measured in interleaved rounds, so a burst of someone else's work on the machine lands on
      // one round of one of them rather than deciding the comparison. The median round counts.
      await L2.run({ ...rejectSpec, duration: WARMUP });
      await L2.run({ ...floorSpec, duration: WARMUP });
      const rejectedRounds: LoadResult[] = [];
      const floorRounds: LoadResult[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        rejectedRounds.push(await L2.run(rejectSpec));
        floorRounds.push(await L2.run(floorSpec));
      }
      const byP99 = (list: LoadResult[]) => [...list].sort((a, b) => a.latencyMs.p99 - b.latencyMs.p99)[Math.floor((list.length - 1) / 2)]!;
      const p99s = (list: LoadResult[]) => (ROUNDS > 1 ? `; median p99 of ${ROUNDS} rounds: ${list.map((r) => r.latencyMs.p99).join(" / ")} ms` : "");
      const rejected = byP99(rejectedRounds);
      const rejected429 = rejected.byStatus["429"];
      const rejectedAll429 = rejectedRounds.every((r) => r.ok === 0 && r.errors === 0 && (r.byStatus["429"]?.count ?? 0) === r.responses);
      const rejectedRow = record(
        row(`rejected-flood${tag}`, `POST /auth/signin, blocked email, during a flood${tag}`, FREE, rejectSpec, rejected, ceilingRps, `${rejected429?.count ?? 0} answered 429, their p99 ${rejected429?.p99 ?? "-"} ms${p99s(rejectedRounds)}`),
      );
      const floorRun = byP99(floorRounds);
      record(row(`floor-flood${tag}`, `bare Koa, same paced client, during the flood${tag}`, FREE, floorSpec, floorRun, ceilingRps, `no service behind it: what the client, the kernel and the scheduler add during the flood${p99s(floorRounds)}`));
      const floodResult = await flood;
      // Queued hashes would run for many seconds more; nothing after this needs the process.
      await kill(server);
      const satCompleted = floodResult.okPerSecond.slice(satFrom, satFrom + satSeconds).reduce((a, b) => a + b, 0);
      const satRate = satCompleted / satSeconds;
      const satResult: LoadResult = { ...floodResult, durationSeconds: satSeconds, responses: satCompleted, ok: satCompleted, rps: satRate, okRps: satRate };
      const satRow = record(
        row(`signin-saturation${tag}`, `POST /auth/signin, saturation${tag}`, FREE, { connections: C }, satResult, ceilingRps,
          `${satCompleted} signed in between s${satFrom} and s${satFrom + satSeconds} of the flood; latencies are the flood's (queueing)${satShares ? `; CPU, % of a core: hashing threads ${satShares.hashing.length ? satShares.hashing.join(" + ") : "not told apart (HASH_NICE=0)"}, event loop ${satShares.eventLoop}, other threads ${satShares.other}` : ""}`),
        satAt,
      );
      const floodCpu = duringCpu0 !== null && duringCpu1 !== null ? round((100 * (duringCpu1 - duringCpu0)) / 1000 / during.durationSeconds) : null;
      log(`flood: ${floodResult.ok} sign-ins completed, ${floodResult.non2xx} non-2xx, ${floodResult.errors} errors; server at ${floodCpu ?? "-"}% of a core while /profile ran`);

      variants.push({
        hashConcurrency: effectiveHc,
        rows: { fixedRow: fixedRow.id, quietRow: quietRow.id, satRow: satRow.id, duringRow: duringRow.id, rejectedRow: rejectedRow.id },
        signinPerSecond: round(satRate, 2),
        signinVsHashBound: 0,
        flood: { connections: C, completed: floodResult.ok, non2xx: floodResult.non2xx, errors: floodResult.errors, okPerSecond: floodResult.okPerSecond, serverCpuPercentDuringProfile: floodCpu, serverCpuPercentDuringSaturation: satShares },
        profileQuietP99: quiet.latencyMs.p99,
        profileFloodP99: during.latencyMs.p99,
        floodP99Ratio: round(during.latencyMs.p99 / quiet.latencyMs.p99, 2),
        rejectedP99: rejected429?.p99 ?? null,
        floorP99: floorRun.latencyMs.p99,
        rejectedAll429,
      });
    }

    if (!QUICK) {
      hashBounds.push(await measureHashBound(config.bcryptCost, os.availableParallelism(), 6));
      log(`hash bound again: ${hashBounds[1]!.hashesPerSecond.toFixed(2)}/s`);
      hashBound = hashBounds.reduce((a, b) => (b.hashesPerSecond > a.hashesPerSecond ? b : a));
    }
    for (const v of variants) {
      const rate = v.signinPerSecond as number;
      v.signinVsHashBound = round(rate / hashBound.hashesPerSecond, 3);
      const satRow = rows.find((r) => r.id === (v.rows as { satRow: string }).satRow);
      if (satRow) satRow.note = `${satRow.note}; ${pct(rate / hashBound.hashesPerSecond)} of the hash bound`;
    }

    // ---------------------------------------------------------------- targets
    const targets: TargetCheck[] = [];
    targets.push({ id: 1, target: "GET /profile >= 35% of the ceiling", measured: pct(profileRow.vsCeiling), pass: profileRow.vsCeiling >= 0.35 });
    const refreshErrors = refresh.errors + refresh.non2xx;
    targets.push({ id: 2, target: "refresh >= 10% of the ceiling, 0 errors", measured: `${pct(refreshRow.vsCeiling)}, ${refreshErrors} errors`, pass: refreshRow.vsCeiling >= 0.1 && refreshErrors === 0 });
    for (const v of variants) {
      const tag = variants.length > 1 || HASH_CONCURRENCIES[0] !== null ? ` [HC=${v.hashConcurrency}]` : "";
      const s = v as { signinVsHashBound: number; signinPerSecond: number; floodP99Ratio: number; profileQuietP99: number; profileFloodP99: number; rejectedP99: number | null; floorP99: number; rejectedAll429: boolean };
      targets.push({ id: 3, target: `sign-in at saturation >= 90% of the hash bound${tag}`, measured: `${s.signinPerSecond}/s = ${pct(s.signinVsHashBound)} of ${round(hashBound.hashesPerSecond, 2)}/s`, pass: s.signinVsHashBound >= 0.9 });
      targets.push({ id: 4, target: `/profile p99 during a flood < 3x quiet${tag}`, measured: `${s.profileFloodP99} / ${s.profileQuietP99} ms = x${s.floodP99Ratio}`, pass: s.floodP99Ratio < 3 });
      targets.push({ id: 5, target: `429 p99 < 5 ms during a flood, no hashing${tag}`, measured: `${s.rejectedP99 ?? "-"} ms${s.rejectedAll429 ? "" : " (not all 429)"} (bare Koa: ${s.floorP99} ms${s.floorP99 >= 5 ? ", itself over 5 ms on this machine" : ""})`, pass: s.rejectedP99 !== null && s.rejectedP99 < 5 && s.rejectedAll429 });
    }
    targets.push({
      id: 6,
      target: `RSS after ${MEMORY_TOTAL / 1000}k within 15% of after ${MEMORY_FIRST / 1000}k`,
      measured: `${memory.rssFirstMiB} -> ${memory.rssTotalMiB} MiB (x${memory.growth})`,
      pass: memory.growth !== null && memory.growth <= 1.15,
    });

    const machineAtEnd = machine();
    console.log("");
    console.log(formatScenarios(rows));
    console.log("");
    console.log(
      `password-hash bound: ${hashBound.hashesPerSecond.toFixed(2)}/s (bcrypt cost ${hashBound.cost}, ${hashBound.parallel} in parallel, ${hashBound.msPerHash.toFixed(0)} ms each${hashBounds.length > 1 ? `; the higher of ${hashBounds.map((b) => b.hashesPerSecond.toFixed(2)).join(" and ")}` : ""})`,
    );
    console.log(`memory: RSS ${memory.rssFirstMiB} MiB after ${MEMORY_FIRST} requests, ${memory.rssTotalMiB} MiB after ${MEMORY_TOTAL}: x${memory.growth} (MiB every ${chunk}: ${rssTrail.map((t) => t.rssMiB).join(" ")})`);
    if (horizontal) console.log(`horizontal (GET /profile, all cores): 1 process ${horizontal.oneProcessRps} req/s, 2 processes ${horizontal.twoProcessesRps} req/s: x${horizontal.growth}`);
    console.log("");
    console.log(formatTargets(targets));
    console.log("");
    console.log(`machine: ${machineAtEnd.nproc} x ${machineAtEnd.cpuModel}, node ${machineAtEnd.node}, load average at start ${machineAtStart.loadAverage.join(" ")}, at end ${machineAtEnd.loadAverage.join(" ")}`);

    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `${runId}.json`);
    writeFileSync(
      file,
      JSON.stringify(
        {
          runId,
          startedAt: startedAt.toISOString(),
          finishedAt: new Date().toISOString(),
          command: `npm run bench${argv.length ? ` -- ${argv.join(" ")}` : ""}`,
          machine: { ...machineAtEnd, loadAverageAtStart: machineAtStart.loadAverage, loadAverageAtEnd: machineAtEnd.loadAverage },
          settings: {
            quick: QUICK,
            durationSeconds: DURATION,
            warmupSeconds: WARMUP,
            rounds: ROUNDS,
            roundSeconds: ROUND_SECONDS,
            connections: CONNECTIONS,
            pipelining: 1,
            users: USERS,
            bcryptCost: config.bcryptCost,
            hashConcurrency: HASH_CONCURRENCIES.map((hc) => hc ?? os.availableParallelism()),
            hashMaxQueue: config.hashMaxQueue,
            serverCpu: SERVER_CPU,
            loadGeneratorCpu: LOAD_CPU,
            logLevel: serverEnv.LOG_LEVEL,
          },
          ceilingRps: round(ceilingRps),
          rounds: Object.fromEntries(Object.entries(runs).map(([k, list]) => [k, list.map((r) => ({ rps: round(r.rps), p50: r.latencyMs.p50, p99: r.latencyMs.p99, non2xx: r.non2xx, errors: r.errors, cpuUsPerResponse: r.serverCpu?.usPerResponse ?? null }))])),
          hashBound,
          hashBoundMeasurements: hashBounds,
          scenarios: rows,
          memory,
          horizontal,
          hashConcurrencyVariants: variants,
          targets,
        },
        null,
        2,
      ) + "\n",
    );
    console.log(`results: ${path.relative(process.cwd(), file)}`);
    completed = true;
  } finally {
    await Promise.allSettled(servers.map((s) => s.stop()));
    for (const w of workers) w.close();
    await seeder.cleanup().catch((err: unknown) => log(`cleanup failed: ${err instanceof Error ? err.message : String(err)}`));
    await seeder.close();
    // Kept when something failed: the server logs are in it.
    if (completed) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error("[bench] failed:", err instanceof Error ? err.stack ?? err.message : err);
    for (const w of workers) w.close();
    process.exit(1);
  },
);
