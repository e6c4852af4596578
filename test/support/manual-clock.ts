import type { Clock } from "../../src/application/ports/security.port.js";

/** A clock that moves only when a test says so. Hands out copies, never its own Date. */
export class ManualClock implements Clock {
  #ms: number;

  constructor(start: Date = new Date("2030-01-01T00:00:00.000Z")) {
    this.#ms = start.getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  advance(ms: number): void {
    this.#ms += ms;
  }

  set(d: Date): void {
    this.#ms = d.getTime();
  }
}
