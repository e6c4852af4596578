import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** What one autocannon instance sends. Plans with per-request data pick it in setupRequest. */
export type RequestPlan =
  | { kind: "get"; path: string }
  /** Cycles through the tokens, one per request, shared by every connection. */
  | { kind: "bearer"; path: string; tokens: string[] }
  /** Each refresh token is sent once; past the end of the pool an invalid one (a visible 401). */
  | { kind: "refresh"; path: string; tokens: string[] }
  /**
   * Cycles through the credentials. Each may name the client address it comes from (sent as
   * X-Forwarded-For; the server runs with TRUST_PROXY), so a run looks like many clients, as
   * behind a load balancer, rather than one address that the per-IP lockout would block.
   */
  | { kind: "signin"; path: string; credentials: Array<{ email: string; password: string; ip?: string }> };

export interface LoadSpec {
  url: string;
  plan: RequestPlan;
  connections: number;
  /** Seconds; ignored when amount is set. */
  duration?: number;
  amount?: number;
  /** Requests per second over all connections (autocannon's overallRate); unset = as fast as possible. */
  overallRate?: number;
  /**
   * Send at overallRate with evenly spaced start times (an open-loop client over `connections`
   * keep-alive sockets) instead of autocannon, whose rate limit sends each connection's share
   * of a second back to back. Latency runs from the send, waiting for a free socket included.
   * For latency targets at a modest rate.
   */
  paced?: boolean;
  timeoutSeconds?: number;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  durationSeconds: number;
  /** Responses received (any status). */
  responses: number;
  ok: number;
  non2xx: number;
  /** Connection errors, timeouts included. */
  errors: number;
  timeouts: number;
  rps: number;
  okRps: number;
  /** Every response, measured by the load generator with sub-millisecond resolution. */
  latencyMs: LatencySummary;
  byStatus: Record<string, LatencySummary>;
  /** 2xx responses received in each second of the run (index 0 = the first second). */
  okPerSecond: number[];
  /** The refresh plan ran out of fresh tokens (the pool was too small for the rate). */
  poolExhausted?: boolean;
  /**
   * The server process's CPU time over the run (set by the orchestrator from /proc): per
   * response, and as a share of one core. Steadier than req/s on a busy machine.
   */
  serverCpu?: { usPerResponse: number; percentOfCore: number };
}

const WORKER = fileURLToPath(new URL("../load-worker.ts", import.meta.url));

/**
 * One autocannon process, kept for the whole run and pinned with taskset to the given CPUs so
 * the load generator does not take the server's core. Runs one spec at a time.
 */
export class LoadWorker {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  readonly #ready: Promise<void>;

  constructor(cpus: string | null) {
    const node = [process.execPath, "--import", "tsx", WORKER];
    const [cmd, ...args] = cpus ? ["taskset", "-c", cpus, ...node] : node;
    this.#child = spawn(cmd!, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.#ready = new Promise((resolve, reject) => {
      this.#child.once("error", reject);
      this.#child.once("message", () => resolve());
    });
    this.#child.on("message", (raw) => {
      const msg = raw as { id?: number; result?: LoadResult; error?: string };
      if (msg.id === undefined) return;
      const waiter = this.#pending.get(msg.id);
      if (!waiter) return;
      this.#pending.delete(msg.id);
      if (msg.error) waiter.reject(new Error(msg.error));
      else waiter.resolve(msg.result!);
    });
    this.#child.once("exit", (code) => {
      for (const w of this.#pending.values()) w.reject(new Error(`load worker exited with ${code}`));
      this.#pending.clear();
    });
  }

  async run(spec: LoadSpec): Promise<LoadResult> {
    await this.#ready;
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send({ id, spec });
    });
  }

  close(): void {
    if (this.#child.exitCode === null) this.#child.kill("SIGTERM");
  }
}

export function percentiles(samples: number[]): LatencySummary {
  if (samples.length === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  const round = (n: number) => Math.round(n * 100) / 100;
  return { count: sorted.length, p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(sorted[sorted.length - 1]!) };
}
