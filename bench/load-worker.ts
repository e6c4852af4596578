/**
 * The load generator: a child process of bench/run.ts (pinned to its own core with taskset)
 * that runs one autocannon instance per message and answers with a summary.
 */
import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import autocannon, { type AutocannonRequest } from "autocannon";
import { percentiles, type LoadResult, type LoadSpec, type RequestPlan } from "./lib/load.js";

const JSON_HEADERS = { "content-type": "application/json", "x-auth-mode": "token" };
/** Shaped like a refresh token, names no session: answered 401 without touching a real one. */
const SPENT_REFRESH_TOKEN = `00000000-0000-4000-8000-000000000000.${"x".repeat(43)}`;

interface PlanState {
  exhausted: boolean;
  /** Called once when a one-use pool runs out: the run stops instead of sending spent tokens. */
  onExhausted?: () => void;
}

function requestsFor(plan: RequestPlan, state: PlanState): AutocannonRequest[] {
  switch (plan.kind) {
    case "get":
      return [{ method: "GET", path: plan.path }];
    case "bearer": {
      const headers = plan.tokens.map((t) => ({ authorization: `Bearer ${t}` }));
      let i = 0;
      return [{ method: "GET", path: plan.path, setupRequest: (req) => ({ ...req, headers: headers[i++ % headers.length]! }) }];
    }
    case "refresh": {
      let i = 0;
      return [
        {
          method: "POST",
          path: plan.path,
          headers: JSON_HEADERS,
          setupRequest: (req) => {
            const token = plan.tokens[i++];
            if (token === undefined && !state.exhausted) {
              state.exhausted = true;
              state.onExhausted?.();
            }
            return { ...req, body: JSON.stringify({ refreshToken: token ?? SPENT_REFRESH_TOKEN }) };
          },
        },
      ];
    }
    case "signin": {
      const prepared = plan.credentials.map(({ email, password, ip }) => ({
        body: JSON.stringify({ email, password }),
        headers: ip ? { ...JSON_HEADERS, "x-forwarded-for": ip } : JSON_HEADERS,
      }));
      let i = 0;
      return [{ method: "POST", path: plan.path, headers: JSON_HEADERS, setupRequest: (req) => ({ ...req, ...prepared[i++ % prepared.length]! }) }];
    }
  }
}

function run(spec: LoadSpec): Promise<LoadResult> {
  const state: PlanState = { exhausted: false };
  const all: number[] = [];
  const byStatus = new Map<number, number[]>();
  const okPerSecond: number[] = [];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        pipelining: 1,
        ...(spec.amount !== undefined ? { amount: spec.amount } : { duration: spec.duration ?? 10 }),
        ...(spec.overallRate !== undefined ? { overallRate: spec.overallRate, ignoreCoordinatedOmission: true } : {}),
        timeout: spec.timeoutSeconds ?? 10,
        requests: requestsFor(spec.plan, state),
        skipAggregateResult: true,
      },
      (err, result) => {
        if (err) return reject(err);
        const durationSeconds = result.duration;
        const responses = all.length;
        const ok = result["2xx"];
        resolve({
          durationSeconds,
          responses,
          ok,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          rps: responses / durationSeconds,
          okRps: ok / durationSeconds,
          latencyMs: percentiles(all),
          byStatus: Object.fromEntries([...byStatus].map(([status, samples]) => [String(status), percentiles(samples)])),
          okPerSecond: Array.from(okPerSecond, (n) => n ?? 0),
          ...(state.exhausted ? { poolExhausted: true } : {}),
        });
      },
    );
    state.onExhausted = () => instance.stop();
    // autocannon's own histogram has 1 ms resolution and mixes statuses; keep the raw times.
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      all.push(responseTime);
      let list = byStatus.get(statusCode);
      if (!list) byStatus.set(statusCode, (list = []));
      list.push(responseTime);
      if (statusCode >= 200 && statusCode < 300) {
        const second = Math.floor((performance.now() - started) / 1000);
        okPerSecond[second] = (okPerSecond[second] ?? 0) + 1;
      }
    });
  });
}

function summarize(all: number[], byStatus: Map<number, number[]>, okPerSecond: number[], durationSeconds: number, errors: number, timeouts: number): LoadResult {
  const ok = [...byStatus].filter(([status]) => status >= 200 && status < 300).reduce((n, [, samples]) => n + samples.length, 0);
  return {
    durationSeconds,
    responses: all.length,
    ok,
    non2xx: all.length - ok,
    errors,
    timeouts,
    rps: all.length / durationSeconds,
    okRps: ok / durationSeconds,
    latencyMs: percentiles(all),
    byStatus: Object.fromEntries([...byStatus].map(([status, samples]) => [String(status), percentiles(samples)])),
    okPerSecond: Array.from(okPerSecond, (n) => n ?? 0),
  };
}

/** Open loop: request i is sent at start + i/rate, whatever happened to the earlier ones. */
async function runPaced(spec: LoadSpec): Promise<LoadResult> {
  const rate = spec.overallRate!;
  const total = Math.round(rate * (spec.duration ?? 10));
  const template = requestsFor(spec.plan, { exhausted: false })[0]!;
  const url = new URL(spec.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections });
  const all: number[] = [];
  const byStatus = new Map<number, number[]>();
  const okPerSecond: number[] = [];
  let errors = 0;
  let timeouts = 0;
  const send = (scheduled: number) =>
    new Promise<void>((resolve) => {
      // From the moment this client sends (a late timer here is not the server's doing); a wait
      // for a free socket, which the server's slowness causes, is included.
      const sent = performance.now();
      const req = template.setupRequest ? template.setupRequest({ ...template }, {})! : template;
      const body = typeof req.body === "string" ? req.body : undefined;
      const r = http.request(
        { host: url.hostname, port: url.port, method: req.method, path: req.path, agent, headers: { ...req.headers, ...(body ? { "content-length": Buffer.byteLength(body) } : {}) } },
        (res) => {
          res.resume();
          res.on("end", () => {
            const latency = performance.now() - sent;
            all.push(latency);
            const status = res.statusCode ?? 0;
            let list = byStatus.get(status);
            if (!list) byStatus.set(status, (list = []));
            list.push(latency);
            if (status >= 200 && status < 300) {
              const second = Math.floor((scheduled - start) / 1000);
              okPerSecond[second] = (okPerSecond[second] ?? 0) + 1;
            }
            resolve();
          });
        },
      );
      r.setTimeout((spec.timeoutSeconds ?? 10) * 1000, () => {
        timeouts++;
        r.destroy(new Error("timeout"));
      });
      r.on("error", () => {
        errors++;
        resolve();
      });
      r.end(body);
    });
  // Open the sockets first, so connection set-up is not measured.
  await Promise.all(Array.from({ length: spec.connections }, () => new Promise<void>((resolve) => http.get({ host: url.hostname, port: url.port, path: "/api/v1/health", agent }, (res) => res.resume().on("end", resolve)).on("error", () => resolve()))));
  const start = performance.now() + 20;
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const scheduled = start + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 0) await sleep(wait);
    inFlight.push(send(scheduled));
  }
  await Promise.all(inFlight);
  agent.destroy();
  return summarize(all, byStatus, okPerSecond, (performance.now() - start) / 1000, errors, timeouts);
}

process.on("message", (raw) => {
  const { id, spec } = raw as { id: number; spec: LoadSpec };
  (spec.paced ? runPaced(spec) : run(spec)).then(
    (result) => process.send!({ id, result }),
    (err: unknown) => process.send!({ id, error: err instanceof Error ? err.message : String(err) }),
  );
});
process.on("disconnect", () => process.exit(0));
process.send!({ ready: true });
