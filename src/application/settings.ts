/** Knobs the use cases need, read from configuration by the composition root. */
export interface AuthSettings {
  appName: string;
  /** Front-end base URL, for links in mails. */
  clientUrl: string;
  refreshReuseGraceSeconds: number;
  refreshIdleTtlSeconds: number;
  refreshAbsoluteTtlSeconds: number;
}
