import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export interface ServerProcess {
  name: string;
  url: string;
  pid: number;
  /** Resident set size in bytes, from /proc (null where /proc is not available). */
  rssBytes(): number | null;
  /** CPU time (user + system) the process has used so far, in ms, from /proc; null without /proc. */
  cpuMs(): number | null;
  /** The same per thread (by thread id), with each thread's nice value; null without /proc. */
  threadsCpuMs(): Map<number, { nice: number; cpuMs: number }> | null;
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  /** Script run with `node --import tsx`. */
  script: string;
  env: NodeJS.ProcessEnv;
  /** taskset CPU list (e.g. "0"); null = any core. */
  cpus: string | null;
  /** Where the server's stdout/stderr go. */
  logFile: string;
  /** GET path that answers 200 once the server is ready. */
  readyPath: string;
}

/**
 * The V8 flags `npm start` runs the server with (read from package.json, so the benchmark
 * measures what users run). Every server of a run gets them, the ceiling included.
 */
export const START_NODE_FLAGS: string[] = (() => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { scripts: { start: string } };
  return pkg.scripts.start.split(/\s+/).filter((arg) => /^--(?!import)[a-z-]+=\S+$/.test(arg));
})();

/**
 * The environment every hybrid-auth server of a benchmark runs with: production mode on
 * PostgreSQL + Redis (DATABASE_URL / REDIS_URL / BCRYPT_COST / BENCH_LOG_LEVEL override), fresh
 * secrets, and its data directory.
 */
export function benchServerEnv(dataDir: string): NodeJS.ProcessEnv {
  const secret = () => randomBytes(48).toString("base64url");
  return {
    ...process.env,
    NODE_ENV: "production",
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "warn",
    DATABASE_URL: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/hybrid_auth_bench",
    REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379/5",
    JWT_ACCESS_SECRET: secret(),
    JWT_REFRESH_SECRET: secret(),
    CRYPTO_SECRET: secret(),
    BCRYPT_COST: process.env.BCRYPT_COST ?? "12",
    // Budgets far above what the run sends: the limiter still runs (and costs what it costs in
    // Redis), but the figures are the service's, not the budget's.
    RATE_LIMITS: JSON.stringify({ "*": { ipPerWindow: 1_000_000_000, accountPerWindow: 1_000_000_000 } }),
    // Sign-in runs name a client address per user in X-Forwarded-For, as a load balancer would:
    // from one address, 100 sign-ins in flight would trip the per-IP lockout, which counts an
    // attempt as failed until its hash has run.
    TRUST_PROXY: "true",
    DATA_DIR: dataDir,
  };
}

/** USER_HZ: 100 on every Linux platform Node runs on. */
const CLOCK_TICKS = 100;

/** CPU time and nice value from a /proc stat line (fields after the parenthesised command name). */
function statCpu(stat: string): { nice: number; cpuMs: number } {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are the 14th and 15th fields of the line, nice the 19th.
  return { nice: Number(fields[16]), cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once("exit", () => r()));
}

/**
 * Starts a server in its own process (taskset execs node, so the pid is the server's own) and
 * waits until it answers readyPath.
 */
export async function startServer(options: StartOptions): Promise<ServerProcess> {
  const port = await freePort();
  const node = [process.execPath, ...START_NODE_FLAGS, "--import", "tsx", options.script];
  const [cmd, ...args] = options.cpus ? ["taskset", "-c", options.cpus, ...node] : node;
  const log = createWriteStream(options.logFile, { flags: "a" });
  const child = spawn(cmd!, args, { env: { ...options.env, PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode} during start-up; see ${options.logFile}`);
    try {
      const res = await fetch(url + options.readyPath, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${options.name} did not become ready in 60 s; see ${options.logFile}`);
    }
    await sleep(100);
  }
  return {
    name: options.name,
    url,
    pid: child.pid!,
    rssBytes() {
      try {
        const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        return match ? Number(match[1]) * 1024 : null;
      } catch {
        return null;
      }
    },
    cpuMs() {
      try {
        return statCpu(readFileSync(`/proc/${child.pid}/stat`, "utf8")).cpuMs;
      } catch {
        return null;
      }
    },
    threadsCpuMs() {
      try {
        const threads = new Map<number, { nice: number; cpuMs: number }>();
        for (const tid of readdirSync(`/proc/${child.pid}/task`)) {
          try {
            threads.set(Number(tid), statCpu(readFileSync(`/proc/${child.pid}/task/${tid}/stat`, "utf8")));
          } catch {} // the thread ended meanwhile
        }
        return threads;
      } catch {
        return null;
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited(child);
      clearTimeout(killer);
      log.end();
    },
  };
}

/** Stops at once: used after a flood, when queued password hashes would only delay the next step. */
export function kill(server: ServerProcess): Promise<void> {
  try {
    process.kill(server.pid, "SIGKILL");
  } catch {}
  return server.stop();
}
