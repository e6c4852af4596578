import type { Middleware } from "koa";
import type { DependencyContainer } from "tsyringe";
import type { HealthIndicator } from "../../application/ports/health.port.js";
import type { Logger } from "../../application/ports/logger.port.js";
import type { Clock } from "../../application/ports/security.port.js";
import type { HttpModule, RouteGuards } from "../../adapters/http/route-spec.js";
import type { DatabaseHandle } from "../../adapters/persistence/drizzle/database.js";
import type { RedisHandle } from "../../adapters/redis/redis-client.js";
import type { Config } from "../config.js";
import type { BuildOptions } from "../build-options.js";

/** What the composition root hands each feature: config, clients, and the container to fill. */
export interface FeatureContext {
  config: Config;
  container: DependencyContainer;
  logger: Logger;
  clock: Clock;
  options: BuildOptions;
  /** null when sessions live in memory. A cluster client when REDIS_CLUSTER_NODES is set: keep multi-key calls in one slot. */
  redis: RedisHandle | null;
  /** null for the in-memory database. */
  database: DatabaseHandle | null;
  /** Push readiness checks here. */
  health: HealthIndicator[];
  onClose(fn: () => Promise<void>): void;
  /** Registers `build()`'s value under the token, unless the caller passed an override for it. */
  provide<T>(token: symbol, build: () => T | Promise<T>): Promise<T>;
}

export interface FeatureParts {
  modules?: HttpModule[];
  guards?: RouteGuards;
  /** Per-route middleware that needs the parsed body (per-account rate limits); runs before validation. */
  bodyGuards?: RouteGuards;
  before?: Middleware[];
}

/**
 * One slice of the product wired into the app: its adapters, its HTTP module, its checks.
 * Features are installed in the order of FEATURES, after the core ports are registered.
 */
export interface Feature {
  name: string;
  install(ctx: FeatureContext): Promise<FeatureParts | void>;
}
