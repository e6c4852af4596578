export interface HttpSettings {
  nodeEnv: "development" | "test" | "production";
  /** Origins allowed for CORS with credentials and for cookie-authenticated unsafe requests. */
  corsOrigins: string[];
  trustProxy: boolean;
  cookieSecure: boolean;
  cookieSameSite: "lax" | "strict" | "none";
  /** Max JSON body, bytes. */
  jsonLimitBytes: number;
}
