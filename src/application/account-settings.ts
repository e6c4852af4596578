/** Knobs of the account lifecycle, read from configuration by the account feature. */
export interface AccountSettings {
  /** Days a soft-deleted account can still be reactivated before the purge erases it (ACCOUNT_RETENTION_DAYS). */
  retentionDays: number;
}

/** Injection token for AccountSettings; a typed symbol, like TOKENS. */
export const ACCOUNT_SETTINGS = Symbol("AccountSettings");
