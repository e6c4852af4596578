/** The slice of a structured logger the core uses (pino satisfies it). */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  /** Whether a line at this level would be written (pino's); absent = assume it would. */
  isLevelEnabled?(level: "debug" | "info" | "warn" | "error"): boolean;
}
