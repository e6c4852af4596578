import type { Context } from "koa";
import { inject, injectable } from "tsyringe";
import type { HealthIndicator } from "../../../application/ports/health.port.js";
import { TOKENS } from "../../../application/tokens.js";
import { respond } from "../envelope.js";
import { errorBody } from "../envelope.js";
import { APP_VERSION } from "../http-tokens.js";
import { HEALTH_PREFIX } from "../paths.js";
import { route, type HttpModule, type RouteSpec } from "../route-spec.js";

const CHECK_TIMEOUT_MS = 1500;

interface DependencyState {
  status: "up" | "down";
  required: boolean;
  latencyMs: number;
  error?: string;
}

async function probe(indicator: HealthIndicator): Promise<DependencyState> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      indicator.check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: "up", required: indicator.required, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    // Only a short reason: connection strings and stack traces stay in the logs.
    const reason = err instanceof Error && /no answer within/.test(err.message) ? "timeout" : "unreachable";
    return { status: "down", required: indicator.required, latencyMs: Math.round(performance.now() - started), error: reason };
  } finally {
    clearTimeout(timer);
  }
}

@injectable()
export class HealthController implements HttpModule {
  constructor(
    @inject(TOKENS.HealthIndicators) private readonly indicators: HealthIndicator[],
    @inject(APP_VERSION) private readonly version: string,
  ) {}

  routes(): RouteSpec[] {
    return [
      route({ method: "get", path: HEALTH_PREFIX, tag: "health", auth: "none", handler: this.live,
        summary: "Liveness: the process serves", responses: { 200: "data.status ok, uptime" } }),
      route({ method: "get", path: `${HEALTH_PREFIX}/detailed`, tag: "health", auth: "none", handler: this.detailed,
        summary: "Readiness: each dependency's state and latency", responses: { 200: "Ready", 503: "A required dependency is down" } }),
    ];
  }

  /** Liveness: the process serves; no dependency is touched. */
  live = async (ctx: Context): Promise<void> => {
    respond(ctx, 200, "OK", { status: "ok", uptime: Math.round(process.uptime()) });
  };

  /** Readiness: every dependency pinged in parallel with a short deadline. */
  detailed = async (ctx: Context): Promise<void> => {
    const states = await Promise.all(this.indicators.map(probe));
    const dependencies = Object.fromEntries(this.indicators.map((ind, i) => [ind.name, states[i]!]));
    const failed = this.indicators.filter((ind, i) => ind.required && states[i]!.status === "down").map((ind) => ind.name);
    const memory = process.memoryUsage();
    const data = {
      status: failed.length === 0 ? "ok" : "degraded",
      version: this.version,
      uptime: Math.round(process.uptime()),
      memory: { rss: memory.rss, heapUsed: memory.heapUsed },
      dependencies,
    };
    if (failed.length === 0) return respond(ctx, 200, "Ready", data);
    ctx.status = 503;
    ctx.body = { ...errorBody(503, "SERVICE_UNAVAILABLE", `Not ready: ${failed.join(", ")} down`), data };
  };
}
