import { toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import { DOMAIN_ERROR_CODES } from "../../domain/errors.js";
import { DOMAIN_ERROR_STATUS, HTTP_ERROR_CODES } from "./error-codes.js";
import type { RouteSpec } from "./route-spec.js";

/** A JSON Schema / OpenAPI object; the document is plain data. */
export type Json = { [key: string]: unknown };

export interface OpenApiDocument extends Json {
  openapi: "3.1.0";
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: Json & { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
}

export interface OpenApiOperation extends Json {
  operationId: string;
  summary: string;
  tags: string[];
  responses: Record<string, Json>;
}

/** What the generator may add about a route's budgets (RateLimit-* headers, 429). */
export interface RouteRateLimit {
  name: string;
  ipPerWindow: number;
  accountPerWindow: number;
  windowSeconds: number;
  account: "user" | "email" | null;
}

export interface OpenApiOptions {
  title: string;
  version: string;
  description?: string;
  rateLimitOf?: (spec: RouteSpec) => RouteRateLimit | null;
  /** The prefix the app is served under (BASE_PATH, or where it is mounted); "" at the root. */
  basePath?: string;
}

export interface ErrorCodeRow {
  code: string;
  status: number;
  /** "domain": raised by use cases; "http": by the HTTP layer itself (parsing, routing, CSRF). */
  source: "domain" | "http";
}

/**
 * Every `code` an error envelope can carry, with its status: the domain table plus the codes the
 * HTTP layer raises itself (MALFORMED_JSON is raised by the error middleware for bad JSON).
 */
export function errorCodeTable(): ErrorCodeRow[] {
  const rows = new Map<string, ErrorCodeRow>();
  for (const code of DOMAIN_ERROR_CODES) rows.set(code, { code, status: DOMAIN_ERROR_STATUS[code], source: "domain" });
  const http: Array<[number, string]> = [...Object.entries(HTTP_ERROR_CODES).map(([s, c]) => [Number(s), c] as [number, string]), [400, "MALFORMED_JSON"]];
  for (const [status, code] of http) if (!rows.has(code)) rows.set(code, { code, status, source: "http" });
  return [...rows.values()].sort((a, b) => a.status - b.status || a.code.localeCompare(b.code));
}

/** koa-router `/sessions/:sessionId` → OpenAPI `/sessions/{sessionId}`, and the parameter names. */
export function toOpenApiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const out = path.replace(/[:*]([A-Za-z_$][\w$]*)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path: out, params };
}

function operationId(spec: RouteSpec): string {
  const words = spec.path
    .split("/")
    .filter(Boolean)
    .map((seg) => (/^[:*]/.test(seg) ? `by-${seg.slice(1)}` : seg))
    .flatMap((seg) => seg.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return [spec.method, ...words].map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join("");
}

/** Request bodies are described by their input type (before trim, lower-casing and the like). */
export function bodySchema(schema: v.GenericSchema): Json {
  try {
    const json = toJsonSchema(schema, { target: "draft-2020-12", typeMode: "input", errorMode: "ignore" }) as Json;
    delete json.$schema;
    return json;
  } catch {
    return { type: "object" };
  }
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });
const RATE_LIMIT_HEADERS = {
  "RateLimit-Limit": headerRef("RateLimitLimit"),
  "RateLimit-Remaining": headerRef("RateLimitRemaining"),
  "RateLimit-Reset": headerRef("RateLimitReset"),
  "RateLimit-Policy": headerRef("RateLimitPolicy"),
};

function response(status: number, description: string, rateLimited: boolean): Json {
  const out: Json = { description };
  if (status >= 300 && status < 400) {
    out.headers = { Location: { description: "Where to go next", schema: { type: "string" } } };
    return out;
  }
  if (status !== 204) out.content = { "application/json": { schema: ref(status < 400 ? "SuccessEnvelope" : "ErrorEnvelope") } };
  const headers: Json = {};
  if (rateLimited) Object.assign(headers, RATE_LIMIT_HEADERS);
  if (status === 429) headers["Retry-After"] = headerRef("RetryAfter");
  if (Object.keys(headers).length) out.headers = headers;
  return out;
}

function operation(spec: RouteSpec, options: OpenApiOptions): OpenApiOperation {
  const { params } = toOpenApiPath(spec.path);
  const limit = options.rateLimitOf?.(spec) ?? null;
  const op: OpenApiOperation = {
    operationId: operationId(spec),
    summary: spec.summary,
    tags: [spec.tag],
    responses: {},
  };
  const notes: string[] = [];
  if (spec.description) notes.push(spec.description);
  if (limit) {
    const budgets = [`${limit.ipPerWindow || "unlimited"} per IP`];
    if (limit.account) budgets.push(`${limit.accountPerWindow} per ${limit.account === "user" ? "signed-in user" : "email named in the body"}`);
    notes.push(`Rate limit \`${limit.name}\`: ${budgets.join(", ")} per ${limit.windowSeconds} s (429 RATE_LIMITED with Retry-After).`);
    op["x-rate-limit"] = { ...limit };
  }
  if (notes.length) op.description = notes.join("\n\n");
  if (params.length) op.parameters = params.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } }));
  op.security = spec.auth === "access" ? [{ cookieAuth: [] }, { bearerAuth: [] }] : [];
  if (spec.auth === "access" && spec.allowDeactivated) op["x-allow-deactivated"] = true;

  if (spec.body || spec.multipart) {
    const json = spec.body ? bodySchema(spec.body) : { type: "object", properties: {} };
    const content: Json = {};
    if (spec.body) content["application/json"] = { schema: json };
    if (spec.multipart) {
      const properties = { ...((json.properties as Json | undefined) ?? {}) };
      properties[spec.multipart.fileField] = {
        type: "string",
        contentMediaType: "application/octet-stream",
        description: `At most ${spec.multipart.maxFileBytes} bytes`,
      };
      content["multipart/form-data"] = { schema: { type: "object", properties } };
    }
    const required = Array.isArray(json.required) && json.required.length > 0;
    op.requestBody = { required, content };
  }

  const statuses = Object.entries(spec.responses).map(([s, d]) => [Number(s), d] as const);
  if (spec.auth === "access" && !statuses.some(([s]) => s === 401)) statuses.push([401, "UNAUTHENTICATED or SESSION_REVOKED"]);
  if ((spec.body || spec.multipart) && !statuses.some(([s]) => s === 400)) statuses.push([400, "VALIDATION_FAILED or MALFORMED_JSON"]);
  if (limit && !statuses.some(([s]) => s === 429)) statuses.push([429, "RATE_LIMITED"]);
  for (const [status, description] of statuses.sort((a, b) => a[0] - b[0])) {
    let text = description;
    if (status === 429 && limit && !/RATE_LIMITED/.test(text)) text = `${text}; RATE_LIMITED when the route budget is spent`;
    op.responses[String(status)] = response(status, text, !!limit && status < 500);
  }
  op.responses.default = { description: "Any other error (500 INTERNAL_ERROR, 503 SERVICE_UNAVAILABLE, ...)", content: { "application/json": { schema: ref("ErrorEnvelope") } } };
  return op;
}

function components(errors: ErrorCodeRow[]): OpenApiDocument["components"] {
  return {
    securitySchemes: {
      cookieAuth: { type: "apiKey", in: "cookie", name: "accessToken", description: "Browser clients: the httpOnly accessToken cookie set by /signin." },
      bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "Clients that send X-Auth-Mode: token get the access token in data.tokens." },
    },
    schemas: {
      SuccessEnvelope: {
        type: "object",
        required: ["success", "message", "statusCode"],
        properties: { success: { const: true }, message: { type: "string" }, statusCode: { type: "integer" }, data: {} },
      },
      ErrorEnvelope: {
        type: "object",
        required: ["success", "message", "statusCode", "code"],
        properties: {
          success: { const: false },
          message: { type: "string" },
          statusCode: { type: "integer" },
          code: ref("ErrorCode"),
          errors: { type: "object", description: "VALIDATION_FAILED: field → messages", additionalProperties: { type: "array", items: { type: "string" } } },
        },
      },
      ErrorCode: {
        type: "string",
        enum: errors.map((e) => e.code),
        description: "Stable machine-readable error codes; x-status gives the HTTP status of each.",
        "x-status": Object.fromEntries(errors.map((e) => [e.code, e.status])),
      },
    },
    headers: {
      RetryAfter: { description: "Seconds until the request may be retried", schema: { type: "integer", minimum: 1 } },
      RateLimitLimit: { description: "Requests allowed in the window of the budget closest to running out", schema: { type: "integer" } },
      RateLimitRemaining: { description: "Requests left in that window", schema: { type: "integer" } },
      RateLimitReset: { description: "Seconds until that budget frees a request", schema: { type: "integer" } },
      RateLimitPolicy: { description: "Every budget that applied: `limit;w=windowSeconds`, comma-separated", schema: { type: "string" } },
    },
  };
}

function errorTableMarkdown(errors: ErrorCodeRow[]): string {
  return ["| code | status |", "|---|---|", ...errors.map((e) => `| \`${e.code}\` | ${e.status} |`)].join("\n");
}

/**
 * OpenAPI 3.1 from the RouteSpecs the router serves: paths, bodies (from the same valibot schemas
 * that validate requests), security, the responses each route declares, the envelopes and every
 * error code with its status.
 */
export function buildOpenApiDocument(specs: RouteSpec[], options: OpenApiOptions): OpenApiDocument {
  const errors = errorCodeTable();
  const paths: OpenApiDocument["paths"] = {};
  for (const spec of specs) {
    const { path } = toOpenApiPath(spec.path);
    (paths[path] ??= {})[spec.method] = operation(spec, options);
  }
  const tags = [...new Set(specs.map((s) => s.tag))].map((name) => ({ name }));
  const description = [
    options.description ?? "",
    "Every answer is an envelope: `{success, message, statusCode, data?}` or `{success: false, message, statusCode, code, errors?}`.",
    "## Error codes",
    errorTableMarkdown(errors),
  ]
    .filter(Boolean)
    .join("\n\n");
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
    info: { title: options.title, version: options.version, description },
    servers: [{ url: options.basePath || "/" }],
    tags,
    paths,
    components: components(errors),
    "x-error-codes": errors,
  };
}
