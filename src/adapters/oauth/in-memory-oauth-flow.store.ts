import type { Clock } from "../../application/ports/security.port.js";
import type { OAuthFlowStore } from "./oauth-flow.store.js";

const SWEEP_EVERY_WRITES = 500;

/** Single-process OAuthFlowStore (no Redis): read-and-delete has no await in between, so it is atomic. */
export class InMemoryOAuthFlowStore implements OAuthFlowStore {
  readonly #entries = new Map<string, { value: string; expiresAt: number }>();
  readonly #clock: Clock;
  #writes = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async put(key: string, value: string, ttlSeconds: number, now: Date): Promise<void> {
    this.#entries.set(key, { value, expiresAt: now.getTime() + ttlSeconds * 1000 });
    if (++this.#writes % SWEEP_EVERY_WRITES === 0) this.#sweep();
  }

  async take(key: string, now: Date): Promise<string | null> {
    const entry = this.#entries.get(key);
    if (!entry) return null;
    this.#entries.delete(key);
    return entry.expiresAt > now.getTime() ? entry.value : null;
  }

  /** Abandoned flows would otherwise pile up forever. */
  #sweep(): void {
    const now = this.#clock.now().getTime();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }
}
