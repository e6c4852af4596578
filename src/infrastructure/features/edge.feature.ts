import { DocsController } from "../../adapters/http/controllers/docs.controller.js";
import { createRateLimiter, resolveBudgets, RATE_LIMITER } from "../../adapters/http/rate-limits.js";
import { IoredisBridge } from "../../adapters/redis/ioredis-bridge.js";
import type { Feature } from "./feature.js";

/**
 * A rate-limit call gets this long before the request fails with 503; short enough that a
 * request which then fails for the same dead Redis still answers within 2 s.
 */
const RATE_LIMIT_DEADLINE_MS = 1000;

/**
 * The edge: route budgets (koa-ratelimit; counters in Redis through the app's one client when
 * REDIS_URL is set, so every instance shares them) and the API reference built from every
 * installed route.
 */
export const edgeFeature: Feature = {
  name: "edge",
  async install({ config, container, redis, options }) {
    const limiter = createRateLimiter({
      budgets: resolveBudgets(config.rateLimits),
      store: redis
        ? { driver: "redis", db: new IoredisBridge(redis, { deadlineMs: RATE_LIMIT_DEADLINE_MS, dependency: "rateLimiter" }) }
        : { driver: "memory" },
      namespace: options.redisPrefix ?? "ha:",
    });
    container.register(RATE_LIMITER, { useValue: limiter });
    return { guards: limiter.guards, bodyGuards: limiter.bodyGuards, modules: [container.resolve(DocsController)] };
  },
};
