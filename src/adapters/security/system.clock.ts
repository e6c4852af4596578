import type { Clock } from "../../application/ports/security.port.js";

export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}
