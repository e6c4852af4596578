export interface HealthIndicator {
  /** "database", "sessionStore", "mail", "imageStorage" */
  name: string;
  /** A required dependency being down makes the service not ready (503). */
  required: boolean;
  /** Resolves when reachable; rejects otherwise. Called with a deadline by the caller. */
  check(): Promise<void>;
}
