/**
 * Short-lived, single-use entries of the OAuth dance: the state of a started flow (10 min) and
 * the one-time code a token-mode client exchanges (60 s). `take` reads and deletes in one step,
 * so an entry is honoured once even when two instances race for it. Expiry is judged by the
 * caller's clock (the store's own TTL only reclaims memory), so tests can move time.
 */
export interface OAuthFlowStore {
  put(key: string, value: string, ttlSeconds: number, now: Date): Promise<void>;
  /** The value once; null when unknown, already taken or expired. */
  take(key: string, now: Date): Promise<string | null>;
}

/** Injection token for the store, owned by the OAuth adapter. */
export const OAUTH_FLOW_STORE = Symbol("OAuthFlowStore");
