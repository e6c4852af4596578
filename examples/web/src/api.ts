/**
 * A small client for the hybrid-auth API, meant to be copied into a front end.
 *
 * - Cookies carry the tokens (httpOnly: this code never sees them), so every call sends
 *   `credentials: "include"`; the API must list this page's origin in CORS_ORIGIN.
 * - Silent refresh: an authenticated call that answers 401 triggers one POST /refresh-token
 *   (shared by every call that failed at the same moment, so two tabs or parallel calls do not
 *   rotate twice) and is retried once. If the refresh fails too, `onSignedOut` fires.
 */

export interface User {
  id: string;
  name: string;
  email: string;
  role: string;
  avatar: { url: string } | null;
  isEmailVerified: boolean;
  lastLoginAt: string | null;
  createdAt: string;
}

export interface SessionInfo {
  id: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  current: boolean;
}

interface Envelope<T> {
  success: boolean;
  message: string;
  statusCode: number;
  code?: string;
  errors?: Record<string, string[]>;
  data?: T;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: Record<string, string[]> = {},
  ) {
    super(message);
  }

  /** The message plus every field error, for display. */
  describe(): string {
    const fields = Object.entries(this.errors).map(([field, list]) => `${field}: ${list.join(", ")}`);
    return [this.message, ...fields].join(" — ");
  }
}

export const OAUTH_PROVIDERS = ["github", "google", "facebook"] as const;
export type OAuthProvider = (typeof OAUTH_PROVIDERS)[number];

interface CallOptions {
  method?: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  body?: unknown;
  /** true for routes that need a session: a 401 then means "refresh and retry once". */
  auth?: boolean;
}

export function createApiClient(baseUrl: string, hooks: { onSignedOut?: () => void } = {}) {
  const base = baseUrl.replace(/\/+$/, "");
  let refreshing: Promise<boolean> | null = null;

  async function send(path: string, options: CallOptions): Promise<Response> {
    const init: RequestInit = { method: options.method ?? "GET", credentials: "include", headers: {} };
    if (options.body instanceof FormData) init.body = options.body; // the browser sets the multipart boundary
    else if (options.body !== undefined) {
      init.body = JSON.stringify(options.body);
      (init.headers as Record<string, string>)["Content-Type"] = "application/json";
    }
    return fetch(base + path, init);
  }

  /** One refresh at a time: concurrent 401s wait for the same rotation. */
  function refreshOnce(): Promise<boolean> {
    refreshing ??= send("/api/v1/auth/refresh-token", { method: "POST", body: {} })
      .then((res) => res.ok)
      .catch(() => false)
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  }

  async function call<T>(path: string, options: CallOptions = {}): Promise<{ message: string; data: T }> {
    let res = await send(path, options);
    let envelope = await readEnvelope<T>(res);
    // A wrong password also answers 401; retrying that would count twice toward the lockout.
    if (res.status === 401 && options.auth && envelope.code !== "INVALID_CREDENTIALS") {
      if (await refreshOnce()) {
        res = await send(path, options);
        envelope = await readEnvelope<T>(res);
      }
      if (res.status === 401) hooks.onSignedOut?.();
    }
    if (!res.ok || !envelope.success) {
      throw new ApiError(res.status, envelope.code ?? "HTTP_" + res.status, envelope.message || res.statusText, envelope.errors);
    }
    return { message: envelope.message, data: envelope.data as T };
  }

  return {
    baseUrl: base,
    health: () => call<{ status: string }>("/api/v1/health"),

    signUp: (input: { name: string; email: string; password: string; confirmPassword: string }) =>
      call<{ email: string }>("/api/v1/auth/signup", { method: "POST", body: input }),
    verifyEmail: (email: string, otpCode: string) =>
      call<{ user: User }>("/api/v1/auth/verify-user", { method: "POST", body: { email, otpCode } }),
    resendCode: (email: string) => call<undefined>("/api/v1/auth/resend-verification", { method: "POST", body: { email } }),
    signIn: (email: string, password: string) =>
      call<{ user: User }>("/api/v1/auth/signin", { method: "POST", body: { email, password } }),
    signOut: () => call<undefined>("/api/v1/auth/logout", { method: "POST", body: {} }),

    profile: () => call<{ user: User }>("/api/v1/auth/profile", { auth: true }),
    /** JSON when only the name changes, multipart when a file is attached. */
    updateProfile: (input: { name?: string; avatar?: File }) => {
      let body: unknown = { name: input.name };
      if (input.avatar) {
        const form = new FormData();
        if (input.name) form.append("name", input.name);
        form.append("avatar", input.avatar);
        body = form;
      }
      return call<{ user: User }>("/api/v1/auth/profile", { method: "PATCH", body, auth: true });
    },

    sessions: () => call<{ sessions: SessionInfo[] }>("/api/v1/auth/sessions", { auth: true }),
    revokeSession: (id: string) => call<undefined>(`/api/v1/auth/sessions/${encodeURIComponent(id)}`, { method: "DELETE", auth: true }),
    revokeOtherSessions: () => call<{ revoked: number }>("/api/v1/auth/sessions", { method: "DELETE", auth: true }),

    changePassword: (oldPassword: string, newPassword: string) =>
      call<undefined>("/api/v1/auth/change-password", { method: "POST", body: { oldPassword, newPassword }, auth: true }),

    requestAccountDeletion: (password: string) =>
      call<undefined>("/api/v1/auth/account/request-delete", { method: "POST", body: { password }, auth: true }),
    deleteAccount: (token: string, type: "soft" | "hard") =>
      call<undefined>("/api/v1/auth/account/delete", { method: "DELETE", body: { token, type }, auth: true }),
    reactivateAccount: () => call<{ user?: User }>("/api/v1/auth/account/reactivate", { method: "PUT", auth: true }),

    /** Where the browser goes to start an OAuth sign-in (a full-page navigation, not fetch). */
    oauthStartUrl: (provider: OAuthProvider) => `${base}/api/auth/${provider}`,

    /**
     * A provider is configured when its start route redirects; an unconfigured one answers 404.
     * Probed without cookies, so no state cookie is left behind.
     */
    async oauthConfigured(provider: OAuthProvider): Promise<boolean> {
      try {
        const res = await fetch(`${base}/api/auth/${provider}`, { redirect: "manual", credentials: "omit" });
        return res.type === "opaqueredirect" || (res.status >= 300 && res.status < 400);
      } catch {
        return false;
      }
    },
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

async function readEnvelope<T>(res: Response): Promise<Envelope<T>> {
  try {
    const body = (await res.json()) as Envelope<T>;
    if (body && typeof body === "object") return body;
  } catch {
    // not JSON (a proxy error page, an empty body): fall through
  }
  return { success: res.ok, message: res.statusText, statusCode: res.status };
}
