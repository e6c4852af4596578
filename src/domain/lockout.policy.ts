/**
 * Brute-force protection for password checks. Failures are counted per normalised email
 * (whether or not an account exists, so a block reveals nothing) and per client IP. Past the
 * threshold the key is blocked; each further block in the same day doubles the duration.
 */
export interface AttemptPolicy {
  /** Failures allowed inside the window; the next attempt is refused. */
  threshold: number;
  windowSeconds: number;
  /** Duration of the first block. */
  baseBlockSeconds: number;
  /** No block lasts longer than this. */
  maxBlockSeconds: number;
  /** Blocks are remembered (for escalation) this long after the last one. */
  escalationMemorySeconds: number;
}

export const EMAIL_LOCKOUT_POLICY: AttemptPolicy = {
  threshold: 5,
  windowSeconds: 15 * 60,
  baseBlockSeconds: 15 * 60,
  maxBlockSeconds: 24 * 3600,
  escalationMemorySeconds: 24 * 3600,
};

/**
 * An attempt still "in flight" this long after the latest reservation never got its verdict
 * recorded (the process died mid-hash, the store was unreachable): it then counts as a failure.
 * Longer than any wait in the hash queue.
 */
export const ATTEMPT_IN_FLIGHT_SECONDS = 120;

/** Generous, so an office behind one NAT is not locked out by a few people's typos. */
export const IP_LOCKOUT_POLICY: AttemptPolicy = {
  threshold: 50,
  windowSeconds: 15 * 60,
  baseBlockSeconds: 15 * 60,
  maxBlockSeconds: 24 * 3600,
  escalationMemorySeconds: 24 * 3600,
};

/** 15 min, 30 min, 1 h, 2 h ... capped. `blockNumber` counts from 1. */
export function blockDurationSeconds(policy: AttemptPolicy, blockNumber: number): number {
  const exponent = Math.max(0, Math.min(blockNumber - 1, 30));
  return Math.min(policy.baseBlockSeconds * 2 ** exponent, policy.maxBlockSeconds);
}

export function emailAttemptKey(emailNormalized: string): string {
  return `email:${emailNormalized}`;
}

export function ipAttemptKey(ip: string): string {
  return `ip:${ip}`;
}
