/**
 * A local stand-in for GitHub, Google and Facebook, so the whole OAuth dance runs in tests
 * through the real passport strategies: authorize (redirects back with a code and the same
 * state, or with error=access_denied), token (checks client id and secret, the code, the
 * redirect URI and, when a challenge was sent, the PKCE verifier), and profile endpoints shaped
 * like GitHub's /user and /user/emails, Google's userinfo and Facebook's /me.
 */
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { OAuthProvider } from "../../src/domain/identity.entity.js";

export interface FakeUser {
  id: string;
  name: string;
  email: string | null;
  /** GitHub: the emails API's `verified`; Google: `email_verified`; Facebook has no such field. */
  emailVerified: boolean;
  /** GitHub only: the emails API answer; derived from email/emailVerified when absent. */
  githubEmails?: Array<{ email: string; primary: boolean; verified: boolean }>;
}

export type FailureMode = "500" | "close" | "hang";
export type Endpoint = "token" | "profile" | "emails";

interface Grant {
  provider: OAuthProvider;
  user: FakeUser;
  redirectUri: string;
  challenge: string | null;
  challengeMethod: string | null;
}

export interface AuthorizeRecord {
  provider: OAuthProvider;
  query: Record<string, string>;
}

export interface TokenRecord {
  provider: OAuthProvider;
  body: Record<string, string>;
  outcome: "ok" | string;
}

const PATHS = {
  github: { authorize: "/github/login/oauth/authorize", token: "/github/login/oauth/access_token", profile: "/github/api/user", emails: "/github/api/user/emails" },
  // passport-google-oauth20 reads an OpenID userinfo answer only from a path ending in /userinfo.
  google: { authorize: "/google/o/oauth2/v2/auth", token: "/google/token", profile: "/google/oauth2/v3/userinfo", emails: null },
  facebook: { authorize: "/facebook/dialog/oauth", token: "/facebook/oauth/access_token", profile: "/facebook/me", emails: null },
} as const;

export class FakeOAuthProvider {
  readonly clients: Record<OAuthProvider, { id: string; secret: string }> = {
    github: { id: "gh-client", secret: "gh-secret" },
    google: { id: "google-client.apps.example", secret: "google-secret" },
    facebook: { id: "1234567890", secret: "fb-app-secret" },
  };
  readonly authorizeRequests: AuthorizeRecord[] = [];
  readonly tokenRequests: TokenRecord[] = [];
  readonly profileRequests: Array<{ provider: OAuthProvider; path: string }> = [];

  readonly #users = new Map<OAuthProvider, FakeUser>();
  readonly #deny = new Set<OAuthProvider>();
  readonly #codes = new Map<string, Grant>();
  readonly #tokens = new Map<string, Grant>();
  readonly #failures = new Map<Endpoint, FailureMode>();
  readonly #server: http.Server;
  #url = "";

  private constructor() {
    this.#server = http.createServer((req, res) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  }

  static async start(): Promise<FakeOAuthProvider> {
    const fake = new FakeOAuthProvider();
    await new Promise<void>((resolve) => fake.#server.listen(0, "127.0.0.1", resolve));
    fake.#url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  get url(): string {
    return this.#url;
  }

  /** The account the next authorize of `provider` signs in as. */
  setUser(provider: OAuthProvider, user: FakeUser): void {
    this.#users.set(provider, structuredClone(user));
  }

  /** The next authorize of `provider` answers error=access_denied (the user said no). */
  denyNext(provider: OAuthProvider): void {
    this.#deny.add(provider);
  }

  /** Make endpoints fail: "500" answers an HTML error page, "close" drops the connection, "hang" never answers. */
  fail(mode: FailureMode | null, endpoints: Endpoint[] = ["token", "profile", "emails"]): void {
    for (const e of endpoints) {
      if (mode) this.#failures.set(e, mode);
      else this.#failures.delete(e);
    }
  }

  /** Environment for startTestApp: every provider pointed here, redirect URIs on `appUrl`. */
  env(appUrl = "http://127.0.0.1:9000", providers: OAuthProvider[] = ["github", "google", "facebook"]): Record<string, string> {
    const env: Record<string, string> = {};
    const u = (p: string) => `${this.#url}${p}`;
    if (providers.includes("github")) {
      Object.assign(env, {
        GITHUB_CLIENT_ID: this.clients.github.id,
        GITHUB_CLIENT_SECRET: this.clients.github.secret,
        GITHUB_REDIRECT_URI: `${appUrl}/api/auth/github/callback`,
        GITHUB_AUTHORIZATION_URL: u(PATHS.github.authorize),
        GITHUB_TOKEN_URL: u(PATHS.github.token),
        GITHUB_USER_PROFILE_URL: u(PATHS.github.profile),
        GITHUB_USER_EMAILS_URL: u(PATHS.github.emails),
      });
    }
    if (providers.includes("google")) {
      Object.assign(env, {
        GOOGLE_CLIENT_ID: this.clients.google.id,
        GOOGLE_CLIENT_SECRET: this.clients.google.secret,
        GOOGLE_REDIRECT_URI: `${appUrl}/api/auth/google/callback`,
        GOOGLE_AUTHORIZATION_URL: u(PATHS.google.authorize),
        GOOGLE_TOKEN_URL: u(PATHS.google.token),
        GOOGLE_USER_PROFILE_URL: u(PATHS.google.profile),
      });
    }
    if (providers.includes("facebook")) {
      Object.assign(env, {
        FACEBOOK_APP_ID: this.clients.facebook.id,
        FACEBOOK_APP_SECRET: this.clients.facebook.secret,
        FACEBOOK_REDIRECT_URI: `${appUrl}/api/auth/facebook/callback`,
        FACEBOOK_AUTHORIZATION_URL: u(PATHS.facebook.authorize),
        FACEBOOK_TOKEN_URL: u(PATHS.facebook.token),
        FACEBOOK_PROFILE_URL: u(PATHS.facebook.profile),
      });
    }
    return env;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.#url);
    for (const provider of ["github", "google", "facebook"] as const) {
      const paths = PATHS[provider];
      if (url.pathname === paths.authorize && req.method === "GET") return this.#authorize(provider, url, res);
      if (url.pathname === paths.token && req.method === "POST") {
        if (this.#failed("token", res)) return;
        return this.#token(provider, await readForm(req), res);
      }
      if (url.pathname === paths.profile && req.method === "GET") {
        if (this.#failed("profile", res)) return;
        return this.#profile(provider, req, url, res);
      }
      if (paths.emails && url.pathname === paths.emails && req.method === "GET") {
        if (this.#failed("emails", res)) return;
        return this.#githubEmails(req, url, res);
      }
    }
    json(res, 404, { message: "Not Found" });
  }

  #failed(endpoint: Endpoint, res: http.ServerResponse): boolean {
    const mode = this.#failures.get(endpoint);
    if (!mode) return false;
    if (mode === "close") res.socket?.destroy();
    else if (mode === "hang") return true;
    else {
      res.writeHead(500, { "Content-Type": "text/html" });
      res.end("<html><body>Internal Server Error</body></html>");
    }
    return true;
  }

  #authorize(provider: OAuthProvider, url: URL, res: http.ServerResponse): void {
    const query = Object.fromEntries(url.searchParams);
    this.authorizeRequests.push({ provider, query });
    const redirectUri = query.redirect_uri;
    if (query.client_id !== this.clients[provider].id || !redirectUri) return json(res, 400, { error: "invalid_request" });
    const back = new URL(redirectUri);
    if (query.state !== undefined) back.searchParams.set("state", query.state);
    if (this.#deny.delete(provider)) {
      back.searchParams.set("error", "access_denied");
      back.searchParams.set("error_description", "The user has denied your application access.");
    } else {
      const user = this.#users.get(provider);
      if (!user) return json(res, 500, { error: `no fake ${provider} user configured` });
      const code = randomBytes(16).toString("hex");
      this.#codes.set(code, {
        provider,
        user: structuredClone(user),
        redirectUri,
        challenge: query.code_challenge ?? null,
        challengeMethod: query.code_challenge_method ?? null,
      });
      back.searchParams.set("code", code);
    }
    res.writeHead(302, { Location: back.toString() });
    res.end();
  }

  #token(provider: OAuthProvider, body: Record<string, string>, res: http.ServerResponse): void {
    const refuse = (status: number, error: string) => {
      this.tokenRequests.push({ provider, body, outcome: error });
      json(res, status, { error, error_description: `fake ${provider}: ${error}` });
    };
    const client = this.clients[provider];
    if (body.client_id !== client.id || body.client_secret !== client.secret) return refuse(401, "invalid_client");
    const grant = body.code ? this.#codes.get(body.code) : undefined;
    // Codes are single use, whatever happens next.
    if (body.code) this.#codes.delete(body.code);
    if (!grant || grant.provider !== provider) return refuse(400, "invalid_grant");
    if (body.redirect_uri !== grant.redirectUri) return refuse(400, "invalid_grant");
    if (grant.challenge) {
      const verifier = body.code_verifier ?? "";
      const expected = grant.challengeMethod === "S256" ? createHash("sha256").update(verifier).digest("base64url") : verifier;
      if (!verifier || expected !== grant.challenge) return refuse(400, "invalid_grant");
    }
    const accessToken = randomBytes(16).toString("hex");
    this.#tokens.set(accessToken, grant);
    this.tokenRequests.push({ provider, body, outcome: "ok" });
    json(res, 200, { access_token: accessToken, token_type: "bearer", scope: "", expires_in: 3600 });
  }

  #grantOf(req: http.IncomingMessage, url: URL): Grant | undefined {
    const header = /^(?:Bearer|token)\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const token = header ?? url.searchParams.get("access_token") ?? "";
    return this.#tokens.get(token);
  }

  #profile(provider: OAuthProvider, req: http.IncomingMessage, url: URL, res: http.ServerResponse): void {
    this.profileRequests.push({ provider, path: url.pathname + url.search });
    const grant = this.#grantOf(req, url);
    if (!grant || grant.provider !== provider) return json(res, 401, { message: "Bad credentials" });
    const u = grant.user;
    switch (provider) {
      case "github":
        return json(res, 200, {
          login: u.name.toLowerCase().replace(/\W+/g, "-"),
          id: Number(u.id),
          avatar_url: `${this.#url}/avatars/${u.id}.png`,
          name: u.name,
          // The public email: never vouched for.
          email: null,
        });
      case "google":
        return json(res, 200, {
          sub: u.id,
          name: u.name,
          picture: `${this.#url}/avatars/${u.id}.png`,
          ...(u.email ? { email: u.email, email_verified: u.emailVerified } : {}),
        });
      case "facebook":
        return json(res, 200, { id: u.id, name: u.name, ...(u.email ? { email: u.email } : {}) });
    }
  }

  #githubEmails(req: http.IncomingMessage, url: URL, res: http.ServerResponse): void {
    this.profileRequests.push({ provider: "github", path: url.pathname });
    const grant = this.#grantOf(req, url);
    if (!grant || grant.provider !== "github") return json(res, 401, { message: "Bad credentials" });
    const u = grant.user;
    const emails = u.githubEmails ?? (u.email ? [{ email: u.email, primary: true, verified: u.emailVerified }] : []);
    json(res, 200, emails.map((e) => ({ ...e, visibility: e.primary ? "private" : null })));
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

async function readForm(req: http.IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
}
