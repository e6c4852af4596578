import type { Context, Middleware } from "koa";
import type * as v from "valibot";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

/**
 * One route, declared once: the router, the request validation and the OpenAPI document are
 * all built from this, so the docs cannot drift from what the server accepts.
 */
export interface RouteSpec<S extends v.GenericSchema | undefined = v.GenericSchema | undefined> {
  method: HttpMethod;
  /** koa-router path, e.g. /api/v1/auth/sessions/:sessionId */
  path: string;
  /** Grouping in the docs: "auth", "sessions", "password", "account", "oauth", "health". */
  tag: string;
  summary: string;
  description?: string;
  /** "access": a live session is required (checked before any body byte is read). */
  auth: "access" | "none";
  /** A soft-deleted account's restricted session may call this route (reactivate, sign out). */
  allowDeactivated?: boolean;
  /** JSON body schema; the parsed output is handed to the handler. */
  body?: S;
  /** Multipart is accepted too (the handler reads ctx.request.files). */
  multipart?: { maxFileBytes: number; fileField: string };
  /** Status → description, for the docs. */
  responses: Record<number, string>;
  /**
   * A read-only check that may refuse the request before the handler runs (a blocked sign-in).
   * The body is read and the check started while the IP budget's store call is in flight, so they
   * travel together; its refusal counts once the IP budget has passed, ahead of the account budget
   * (which it does not spend). The handler must not rely on it (it checks again, atomically).
   */
  precheck?: (ctx: Context, body: S extends v.GenericSchema ? v.InferOutput<S> : undefined) => Promise<void>;
  /**
   * The precheck's answer when it is already known in this process, synchronously (throws the
   * refusal, or returns: not known). Asked as soon as the body is parsed; a refusal is answered
   * then, without waiting for the IP budget's store call (the request is still counted in it),
   * unless that budget has already refused. Only with a precheck.
   */
  knownRefusal?: (ctx: Context, body: S extends v.GenericSchema ? v.InferOutput<S> : undefined) => void;
  handler: (ctx: Context, body: S extends v.GenericSchema ? v.InferOutput<S> : undefined) => Promise<void>;
}

/** Keeps the body type of each route while collecting routes of different shapes in one array. */
export function route<S extends v.GenericSchema | undefined = undefined>(spec: RouteSpec<S>): RouteSpec {
  return spec as unknown as RouteSpec;
}

export interface HttpModule {
  routes(): RouteSpec[];
  /** Called once with every route of the app (all modules'), after it is built. */
  appRoutes?(specs: RouteSpec[]): void;
}

/** Per-route middleware contributed by other concerns (rate limits), run after auth, before the body. */
export type RouteGuards = (route: RouteSpec) => Middleware[];
