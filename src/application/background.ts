import type { Logger } from "./ports/logger.port.js";

/**
 * Runs a side effect without making the caller wait for it. Used for mail, so that the
 * paths that send a mail and the paths that do not answer in the same time (no enumeration
 * through timing), and a slow SMTP server never holds a request.
 */
export function inBackground(logger: Logger, what: string, work: () => Promise<unknown>): void {
  Promise.resolve()
    .then(work)
    .catch((err: unknown) => logger.error({ err, what }, "background task failed"));
}
