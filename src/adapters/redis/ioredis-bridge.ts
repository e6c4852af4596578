import { RedisScript, withDeadline, type RedisHandle } from "./redis-client.js";

/** What ioredis' `defineCommand` receives. */
export interface ScriptCommandDefinition {
  numberOfKeys: number;
  lua: string;
}

export interface IoredisBridgeOptions {
  /** Per command; past it the call fails with ServiceUnavailableError instead of hanging. */
  deadlineMs: number;
  /** Named in the ServiceUnavailableError (and so in the logs). */
  dependency: string;
}

type ScriptCommand = (...args: Array<string | number>) => Promise<unknown>;

/**
 * The slice of ioredis that koa-ratelimit's Redis driver (async-ratelimiter) uses: it checks
 * whether `db.ratelimiter` exists, calls `db.defineCommand("ratelimiter", { numberOfKeys, lua })`
 * once, then `db.ratelimiter(key, now, duration, max, peek)` per request. Backed by the app's one
 * node-redis client (EVALSHA with EVAL fallback), so the rate limits share its connection,
 * reconnect policy and fail-fast offline behaviour instead of opening a second client.
 */
export class IoredisBridge {
  /** Commands defined with defineCommand appear as methods, as on an ioredis client. */
  [command: string]: unknown;

  constructor(
    private readonly client: RedisHandle,
    private readonly options: IoredisBridgeOptions,
  ) {}

  defineCommand(name: string, definition: ScriptCommandDefinition): void {
    if (name in this) throw new Error(`command ${name} is already defined`);
    const script = new RedisScript(definition.lua);
    const { numberOfKeys } = definition;
    const command: ScriptCommand = (...args) => {
      const keys = args.slice(0, numberOfKeys).map(String);
      const rest = args.slice(numberOfKeys);
      return withDeadline(script.run(this.client, keys, rest), this.options.deadlineMs, this.options.dependency);
    };
    this[name] = command;
  }
}
