/**
 * The load generator: a child process of bench/run.ts (pinned to its own core with taskset)
 * that runs one autocannon instance per message and answers with a summary.
 */
import autocannon, { type AutocannonRequest } from "autocannon";
import { percentiles, type LoadResult, type LoadSpec, type RequestPlan } from "./lib/load.js";

const JSON_HEADERS = { "content-type": "application/json", "x-auth-mode": "token" };
/** Shaped like a refresh token, names no session: answered 401 without touching a real one. */
const SPENT_REFRESH_TOKEN = `00000000-0000-4000-8000-000000000000.${"x".repeat(43)}`;

function requestsFor(plan: RequestPlan, state: { exhausted: boolean }): AutocannonRequest[] {
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
            if (token === undefined) state.exhausted = true;
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
  const state = { exhausted: false };
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

process.on("message", (raw) => {
  const { id, spec } = raw as { id: number; spec: LoadSpec };
  run(spec).then(
    (result) => process.send!({ id, result }),
    (err: unknown) => process.send!({ id, error: err instanceof Error ? err.message : String(err) }),
  );
});
process.on("disconnect", () => process.exit(0));
process.send!({ ready: true });
