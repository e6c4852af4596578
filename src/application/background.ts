import type { Logger } from "./ports/logger.port.js";

/** Work started by inBackground and not finished yet, process-wide. */
const inFlight = new Set<Promise<unknown>>();

/**
 * Runs a side effect without making the caller wait for it. Used for mail, so that the
 * paths that send a mail and the paths that do not answer in the same time (no enumeration
 * through timing), and a slow SMTP server never holds a request.
 */
export function inBackground(logger: Logger, what: string, work: () => Promise<unknown>): void {
  const task = Promise.resolve()
    .then(work)
    .catch((err: unknown) => logger.error({ err, what }, "background task failed"))
    .finally(() => inFlight.delete(task));
  inFlight.add(task);
}

/**
 * Resolves once every background task started so far (and any they start) has finished, or
 * after `timeoutMs`; returns how many were still running then. Drivers that end the process
 * right after a use case (a CLI, a script, a shutdown) call it before closing the database, so
 * the mail and the audit entry are not lost with it.
 */
export async function backgroundSettled(timeoutMs = 5_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (inFlight.size > 0) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => (timer = setTimeout(r, left)))]);
    clearTimeout(timer);
  }
  return inFlight.size;
}
