export interface HttpSettings {
  nodeEnv: "development" | "test" | "production";
  /** Origins allowed for CORS with credentials and for cookie-authenticated unsafe requests. */
  corsOrigins: string[];
  /** How many proxies' X-Forwarded-* entries are believed, counted from the right; 0 = none. */
  trustProxyHops: number;
  cookieSecure: boolean;
  cookieSameSite: "lax" | "strict" | "none";
  /**
   * Prefix the routes are reached under when a proxy or a parent app (koa-mount) strips it, e.g.
   * "/auth"; cookies scoped to a route path get it in front. Absent or "" = served at the root.
   */
  basePath?: string;
  /** Max JSON body, bytes. */
  jsonLimitBytes: number;
}
