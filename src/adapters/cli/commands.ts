import type { RequestMeta } from "../../application/request-context.js";
import type { SessionView } from "../../application/use-cases/list-sessions.use-case.js";
import { DomainError } from "../../domain/errors.js";
import type { User } from "../../domain/user.entity.js";
import type { CliHost, CliIo, CliSession } from "./cli-host.js";

/** The command line is wrong: exit 2 with the command's usage. */
export class UsageError extends Error {}

/** An operation the CLI itself refuses (not a use case's DomainError): exit 1 with this code. */
export class CliFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface OptionSpec {
  type: "string" | "boolean";
  /** Shown in help: `--seconds <n>`. */
  value?: string;
  description: string;
}

export interface CommandContext {
  /** Positional arguments by the names the command declares. */
  args: Record<string, string>;
  options: Record<string, string | boolean | undefined>;
  io: CliIo;
  host: CliHost;
  verbose: boolean;
  /** Opens the stores once per command; the runner closes them. */
  session(): Promise<CliSession>;
  /** How audit entries describe who acted. */
  meta: RequestMeta;
}

export interface CommandResult {
  /** The --json document (besides `ok` and `command`). */
  data: Record<string, unknown>;
  /** The human output, one line per entry. */
  lines: string[];
  /** Said on stderr in text mode and kept in the JSON: the command worked, with a caveat. */
  warning?: string;
  /** Exit 1 although the command ran (a purge that left accounts behind). */
  failed?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional argument names, all required, in order. */
  positionals: string[];
  options: Record<string, OptionSpec>;
  /** Extra help paragraphs. */
  details?: string[];
  group: "Accounts" | "Sessions and lockout" | "Maintenance";
  run(ctx: CommandContext): Promise<CommandResult>;
}

const NOT_SHARED =
  "REDIS_URL is not set, so sessions, codes and lockouts live inside the server process, out of this command's reach. " +
  "Run it with the REDIS_URL the server uses.";
const NOT_SHARED_SIDE_EFFECT =
  "REDIS_URL is not set: the server keeps sessions in its own memory, out of this command's reach, so sessions open there were not ended (restarting the server ends them).";

/** Session-store commands are pointless against a store private to this process. */
async function sharedSession(ctx: CommandContext): Promise<CliSession> {
  const session = await ctx.session();
  if (!session.sharedSessionStore) throw new CliFailure("SESSIONS_NOT_SHARED", NOT_SHARED);
  return session;
}

function presentUser(user: User) {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    isEmailVerified: user.isEmailVerified,
    createdAt: user.createdAt,
    lastLoginAt: user.lastLoginAt,
    deactivatedAt: user.deactivatedAt,
    purgeAfter: user.purgeAfter,
  };
}

function presentSession(s: SessionView) {
  return { id: s.id, createdAt: s.createdAt, lastUsedAt: s.lastUsedAt, expiresAt: s.expiresAt, ip: s.ip, userAgent: s.userAgent };
}

function iso(d: Date | null): string {
  return d ? d.toISOString() : "-";
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Lines of `key: value` for nested settings (the config command). */
function flatten(value: unknown, prefix = ""): string[] {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Date)) {
    return Object.entries(value).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
  }
  const shown = Array.isArray(value)
    ? value.length ? value.join(", ") : "[]"
    : value instanceof Date ? value.toISOString() : value === "" ? '""' : String(value);
  return [`${prefix}: ${shown}`];
}

const EMAIL = ["email"];

export const COMMANDS: CommandSpec[] = [
  {
    name: "create-user",
    group: "Accounts",
    summary: "Create a verified account that can sign in at once (no mail is sent)",
    positionals: EMAIL,
    options: {
      name: { type: "string", value: "name", description: "Display name (required)" },
      password: { type: "string", value: "password", description: "The password; without it the password is read from stdin" },
    },
    details: [
      "Prefer stdin for the password: an argument shows up in `ps` and in shell history.",
      "  printf '%s' \"$PASSWORD\" | hybrid-auth create-user ada@example.com --name \"Ada Lovelace\"",
      "One trailing newline on stdin is dropped. Fails with EMAIL_TAKEN when the address has an account (verified or not).",
    ],
    async run(ctx) {
      const name = ctx.options.name;
      if (typeof name !== "string") throw new UsageError("--name is required");
      let password = ctx.options.password;
      if (typeof password !== "string") {
        const piped = await ctx.io.readStdin();
        if (piped === null) throw new UsageError("no password: pipe it on stdin or pass --password");
        password = piped.replace(/\r?\n$/, "");
        if (password === "") throw new UsageError("no password: stdin was empty");
      }
      const { useCases } = await ctx.session();
      const { user } = await useCases.createVerifiedUser.execute({ name, email: ctx.args.email!, password, meta: ctx.meta });
      return { data: { user: presentUser(user) }, lines: [`Created verified user ${user.email} (id ${user.id}).`] };
    },
  },
  {
    name: "lock",
    group: "Sessions and lockout",
    summary: "Block password sign-in for an email now (the owner is told by mail)",
    positionals: EMAIL,
    options: { seconds: { type: "string", value: "n", description: "How long; default 900 (15 minutes), at most 86400" } },
    async run(ctx) {
      const raw = ctx.options.seconds;
      let seconds: number | undefined;
      if (typeof raw === "string") {
        if (!/^\d+$/.test(raw)) throw new UsageError("--seconds must be a whole number");
        seconds = Number(raw);
      }
      const { useCases } = await sharedSession(ctx);
      const out = await useCases.lockAccount.execute(seconds === undefined ? { email: ctx.args.email! } : { email: ctx.args.email!, seconds });
      return {
        data: { email: ctx.args.email, blockedForSeconds: out.blockedForSeconds },
        lines: [`Password sign-in for ${ctx.args.email} is blocked for ${out.blockedForSeconds} s.`],
      };
    },
  },
  {
    name: "unlock",
    group: "Sessions and lockout",
    summary: "Lift a sign-in block on an email and forget its failed attempts",
    positionals: EMAIL,
    options: {},
    async run(ctx) {
      const { useCases } = await sharedSession(ctx);
      await useCases.unlockAccount.execute({ email: ctx.args.email! });
      return { data: { email: ctx.args.email, unlocked: true }, lines: [`Unlocked ${ctx.args.email}: no block, no failed attempts on record.`] };
    },
  },
  {
    name: "sessions",
    group: "Sessions and lockout",
    summary: "List the live sessions of a user",
    positionals: EMAIL,
    options: {},
    async run(ctx) {
      const { useCases } = await sharedSession(ctx);
      const { user } = await useCases.findUserByEmail.execute({ email: ctx.args.email! });
      // An operator has no session of their own, so none is "current".
      const { sessions } = await useCases.listSessions.execute({ userId: user.id, currentSessionId: "" });
      const lines = sessions.length
        ? [
            `${plural(sessions.length, "live session")} of ${user.email}:`,
            ...sessions.map((s) => `  ${s.id}  created ${iso(s.createdAt)}  last used ${iso(s.lastUsedAt)}  expires ${iso(s.expiresAt)}  ip ${s.ip ?? "-"}  ${s.userAgent ?? "-"}`),
          ]
        : [`${user.email} has no live session.`];
      return { data: { user: { id: user.id, email: user.email }, sessions: sessions.map(presentSession) }, lines };
    },
  },
  {
    name: "revoke-session",
    group: "Sessions and lockout",
    summary: "End one session of a user (its tokens stop working at once)",
    positionals: ["email", "sessionId"],
    options: {},
    async run(ctx) {
      const { useCases } = await sharedSession(ctx);
      const { user } = await useCases.findUserByEmail.execute({ email: ctx.args.email! });
      await useCases.revokeSession.execute({ userId: user.id, sessionId: ctx.args.sessionId!, currentSessionId: "", meta: ctx.meta });
      return {
        data: { user: { id: user.id, email: user.email }, sessionId: ctx.args.sessionId, revoked: true },
        lines: [`Ended session ${ctx.args.sessionId} of ${user.email}.`],
      };
    },
  },
  {
    name: "revoke-sessions",
    group: "Sessions and lockout",
    summary: "End every session of a user",
    positionals: EMAIL,
    options: {},
    async run(ctx) {
      const { useCases } = await sharedSession(ctx);
      const { user } = await useCases.findUserByEmail.execute({ email: ctx.args.email! });
      const { revoked } = await useCases.revokeOtherSessions.execute({ userId: user.id, currentSessionId: "", meta: ctx.meta });
      return { data: { user: { id: user.id, email: user.email }, revoked }, lines: [`Ended ${plural(revoked, "session")} of ${user.email}.`] };
    },
  },
  {
    name: "soft-delete",
    group: "Accounts",
    summary: "Deactivate an account; it can be reactivated until the retention window closes",
    positionals: EMAIL,
    options: {},
    details: ["Every session ends and the owner is told by mail. The purge erases the account after ACCOUNT_RETENTION_DAYS."],
    async run(ctx) {
      const session = await ctx.session();
      const out = await session.useCases.deactivateAccount.execute({ email: ctx.args.email!, meta: ctx.meta });
      return {
        data: { user: { id: out.userId, email: ctx.args.email }, deactivatedAt: out.deactivatedAt, purgeAfter: out.purgeAfter, revokedSessions: out.revokedSessions },
        lines: [
          `Deactivated ${ctx.args.email}; ended ${plural(out.revokedSessions, "session")}.`,
          `It can be reactivated until ${out.purgeAfter.toISOString()}; the purge erases it after that.`,
        ],
        ...(session.sharedSessionStore ? {} : { warning: NOT_SHARED_SIDE_EFFECT }),
      };
    },
  },
  {
    name: "hard-delete",
    group: "Accounts",
    summary: "Erase an account now: avatar, sessions, audit trail, the account itself",
    positionals: EMAIL,
    options: { yes: { type: "boolean", description: "Confirm: the erasure cannot be undone (required)" } },
    details: ["Works on a deactivated account too. The owner is told by mail. The address is free to sign up again."],
    async run(ctx) {
      if (ctx.options.yes !== true) throw new UsageError("hard-delete cannot be undone: add --yes to confirm");
      const session = await ctx.session();
      const out = await session.useCases.eraseAccount.execute({ email: ctx.args.email!, meta: ctx.meta });
      return {
        data: { user: { id: out.userId, email: ctx.args.email }, revokedSessions: out.revokedSessions },
        lines: [`Erased ${ctx.args.email} (id ${out.userId}); ended ${plural(out.revokedSessions, "session")}.`],
        ...(session.sharedSessionStore ? {} : { warning: NOT_SHARED_SIDE_EFFECT }),
      };
    },
  },
  {
    name: "reactivate",
    group: "Accounts",
    summary: "Undo a soft delete inside the retention window",
    positionals: EMAIL,
    options: {},
    details: ["The owner is told by mail and signs in again as usual; sessions opened while deactivated end."],
    async run(ctx) {
      const session = await ctx.session();
      const out = await session.useCases.restoreAccount.execute({ email: ctx.args.email!, meta: ctx.meta });
      return {
        data: { user: { id: out.userId, email: ctx.args.email }, revokedSessions: out.revokedSessions },
        lines: [`Reactivated ${ctx.args.email}; the owner can sign in again.`],
      };
    },
  },
  {
    name: "purge",
    group: "Maintenance",
    summary: "Erase the soft-deleted accounts whose retention window has closed",
    positionals: [],
    options: {},
    details: ["Safe to run while the server runs its own scheduled purge. Exits 1 when some account could not be erased (it stays due)."],
    async run(ctx) {
      const session = await ctx.session();
      const out = await session.purge();
      return {
        data: { ...out },
        lines: [`Purge: ${out.examined} due, ${out.purged} erased, ${out.alreadyGone} already gone, ${out.failed} failed.`],
        failed: out.failed > 0,
        ...(session.sharedSessionStore ? {} : { warning: NOT_SHARED_SIDE_EFFECT }),
      };
    },
  },
  {
    name: "migrate",
    group: "Maintenance",
    summary: "Apply pending database migrations (the server also does at start-up)",
    positionals: [],
    options: {},
    async run(ctx) {
      const out = await ctx.host.migrate();
      return { data: out, lines: [`Migrations applied (${out.database}: ${out.location}).`] };
    },
  },
  {
    name: "config",
    group: "Maintenance",
    summary: "Print the effective configuration, secrets and credentials masked",
    positionals: [],
    options: {},
    details: ["Read from the environment and ./.env exactly as the server reads them; connects to nothing."],
    async run(ctx) {
      const config = await ctx.host.configuration();
      return { data: { config }, lines: flatten(config) };
    },
  },
];

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}
