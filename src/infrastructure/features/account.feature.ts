// The module is imported on its own too (npm run purge, tests), so it brings the decorator metadata polyfill.
import "reflect-metadata";
import type { DependencyContainer } from "tsyringe";
import { ACCOUNT_SETTINGS, type AccountSettings } from "../../application/account-settings.js";
import {
  PurgeDeletedAccounts,
  type PurgeDeletedAccountsOutput,
} from "../../application/use-cases/purge-deleted-accounts.use-case.js";
import { AccountController } from "../../adapters/http/controllers/account.controller.js";
import type { Feature } from "./feature.js";

export { PurgeDeletedAccounts } from "../../application/use-cases/purge-deleted-accounts.use-case.js";

export const PURGE_BATCH_SIZE = 100;
const PURGE_MAX_BATCHES = 50;
/** The first scheduled run comes soon after start, so instances restarted more often than the interval still purge. */
const FIRST_PURGE_DELAY_MS = 30_000;

/**
 * Runs the purge batch after batch until nothing more is due, a batch makes no progress (every
 * due account failed) or PURGE_MAX_BATCHES ran. For the schedule below and `npm run purge`.
 */
export async function runPurge(
  container: DependencyContainer,
  options: { batchSize?: number; maxBatches?: number; now?: Date } = {},
): Promise<PurgeDeletedAccountsOutput> {
  const purge = container.resolve(PurgeDeletedAccounts);
  const batchSize = options.batchSize ?? PURGE_BATCH_SIZE;
  const totals: PurgeDeletedAccountsOutput = { examined: 0, purged: 0, alreadyGone: 0, failed: 0 };
  for (let batch = 0; batch < (options.maxBatches ?? PURGE_MAX_BATCHES); batch++) {
    const out = await purge.execute(options.now ? { limit: batchSize, now: options.now } : { limit: batchSize });
    totals.examined += out.examined;
    totals.purged += out.purged;
    totals.alreadyGone += out.alreadyGone;
    totals.failed += out.failed;
    if (out.examined < batchSize || out.purged + out.alreadyGone === 0) break;
  }
  return totals;
}

/** Deletion (soft and hard), reactivation, and the purge of accounts past their retention window. */
export const accountFeature: Feature = {
  name: "account",
  async install(ctx) {
    const { container, config, logger } = ctx;
    await ctx.provide<AccountSettings>(ACCOUNT_SETTINGS, () => ({ retentionDays: config.accountRetentionDays }));

    if (config.purgeIntervalSeconds > 0 && config.nodeEnv !== "test") {
      let running: Promise<void> | null = null;
      let closed = false;
      const tick = () => {
        if (running || closed) return;
        running = runPurge(container)
          .then((out) => {
            if (out.examined > 0) logger.info({ ...out }, "purged deleted accounts");
          })
          .catch((err: unknown) => logger.warn({ err }, "purge of deleted accounts failed"))
          .finally(() => {
            running = null;
          });
      };
      const intervalMs = config.purgeIntervalSeconds * 1000;
      // unref'd: a pending purge never keeps the process alive on its own.
      const first = setTimeout(tick, Math.min(intervalMs, FIRST_PURGE_DELAY_MS));
      first.unref();
      const timer = setInterval(tick, intervalMs);
      timer.unref();
      // Closers run in reverse order, so this runs before the database closes under a running purge.
      ctx.onClose(async () => {
        closed = true;
        clearTimeout(first);
        clearInterval(timer);
        await running;
      });
    }

    return {
      modules: [
        // Resolved when the app collects routes, after every feature and test override is registered:
        // the use cases need the AvatarStorage the profile feature provides, whatever the FEATURES order.
        { routes: () => container.resolve(AccountController).routes() },
      ],
    };
  },
};
