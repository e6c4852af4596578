import { parseArgs } from "node:util";
import { ValidationError } from "../../domain/errors.js";
import type { CliHost, CliIo, CliSession } from "./cli-host.js";
import { CliFailure, COMMANDS, isDomainError, UsageError, type CommandContext, type CommandResult, type CommandSpec } from "./commands.js";

export type { CliHost, CliIo, CliSession, CliUseCases } from "./cli-host.js";

/** Exit statuses: scripts branch on them. */
export const EXIT_OK = 0;
/** The operation failed: unknown user, a state that forbids it, a dependency down, a bad configuration. */
export const EXIT_FAILED = 1;
/** The command line is wrong: unknown command or option, missing or invalid argument. */
export const EXIT_USAGE = 2;

const BIN = "hybrid-auth";
const GLOBAL_OPTIONS = {
  json: { type: "boolean", description: "Print one JSON document on stdout (errors too), for scripts" },
  verbose: { type: "boolean", description: "Also show the service's logs (at LOG_LEVEL) on stderr" },
  help: { type: "boolean", short: "h", description: "Show help" },
  version: { type: "boolean", description: "Print the version" },
} as const;

function optionLine(name: string, spec: { type: string; value?: string; description: string; short?: string }): string {
  const flag = `${"short" in spec && spec.short ? `-${spec.short}, ` : ""}--${name}${spec.value ? ` <${spec.value}>` : ""}`;
  return `  ${flag.padEnd(24)} ${spec.description}`;
}

function synopsis(cmd: CommandSpec): string {
  const positionals = cmd.positionals.map((p) => `<${p}>`).join(" ");
  const options = Object.entries(cmd.options).map(([name, o]) => {
    const flag = `--${name}${o.value ? ` <${o.value}>` : ""}`;
    return name === "name" || name === "yes" ? flag : `[${flag}]`;
  });
  return [BIN, cmd.name, positionals, ...options, "[--json]"].filter(Boolean).join(" ");
}

export function generalHelp(): string {
  const groups = new Map<string, CommandSpec[]>();
  for (const cmd of COMMANDS) groups.set(cmd.group, [...(groups.get(cmd.group) ?? []), cmd]);
  return [
    `Usage: ${BIN} <command> [arguments] [--json] [--verbose]`,
    "",
    "Operator commands for hybrid-auth, on the same use cases as the HTTP API. Configuration comes",
    "from the environment and ./.env, exactly as for the server (DATABASE_URL, REDIS_URL, DATA_DIR, ...).",
    "",
    ...[...groups].flatMap(([group, cmds]) => [`${group}:`, ...cmds.map((c) => `  ${c.name.padEnd(16)} ${c.summary}`), ""]),
    "Options:",
    ...Object.entries(GLOBAL_OPTIONS).map(([name, spec]) => optionLine(name, spec)),
    "",
    "Exit status: 0 done, 1 the operation failed (e.g. USER_NOT_FOUND), 2 usage error.",
    `Run '${BIN} help <command>' or '${BIN} <command> --help' for a command's arguments.`,
    "",
    "Without DATABASE_URL the database is PGlite in DATA_DIR, which one process at a time may open",
    "(a lock file refuses a second one): stop a server using the same DATA_DIR first. Without REDIS_URL the server's sessions and lockouts",
    "live in its own memory, so the session and lock commands cannot reach them.",
  ].join("\n");
}

export function commandHelp(cmd: CommandSpec): string {
  const options = Object.entries(cmd.options);
  return [
    `Usage: ${synopsis(cmd)}`,
    "",
    cmd.summary + ".",
    ...(cmd.details ? ["", ...cmd.details] : []),
    "",
    "Options:",
    ...options.map(([name, spec]) => optionLine(name, spec)),
    ...Object.entries(GLOBAL_OPTIONS).map(([name, spec]) => optionLine(name, spec)),
  ].join("\n");
}

interface Outcome {
  status: number;
  command?: string;
  result?: CommandResult;
  error?: { code: string; message: string; fields?: Record<string, string[]> };
  usage?: string;
}

/** Node's parseArgs errors, in words an operator can act on. */
function usageFromParseError(err: unknown): UsageError {
  const message = err instanceof Error ? err.message : String(err);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return new UsageError(`unknown option ${unknown[1]}`);
  // "ambiguous": the next word starts with a dash, as in `--name --json`.
  const missing = /Option '([^']+)' argument (?:missing|is ambiguous)/.exec(message);
  if (missing) return new UsageError(`${missing[1]!.replace(/^-\w, /, "").replace(/ <value>$/, "")} needs a value`);
  const unexpected = /Unexpected argument '([^']+)'/.exec(message);
  if (unexpected) return new UsageError(`unexpected argument ${unexpected[1]}`);
  return new UsageError(message.split("\n")[0]!);
}

function parse(cmd: CommandSpec, argv: string[]) {
  const options = Object.fromEntries(Object.entries(cmd.options).map(([name, o]) => [name, { type: o.type }]));
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageFromParseError(err);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true as const };
  if (positionals.length < cmd.positionals.length) throw new UsageError(`missing <${cmd.positionals[positionals.length]}>`);
  if (positionals.length > cmd.positionals.length) throw new UsageError(`unexpected argument ${positionals[cmd.positionals.length]}`);
  const args = Object.fromEntries(cmd.positionals.map((name, i) => [name, positionals[i]!]));
  return { help: false as const, args, values: values as Record<string, string | boolean | undefined> };
}

async function execute(argv: string[], io: CliIo, host: CliHost, verbose: boolean): Promise<Outcome> {
  const name = argv.find((a) => !a.startsWith("-"));
  const rest = argv.filter((a) => a !== name);
  const wantsHelp = rest.includes("--help") || rest.includes("-h");

  if (name === undefined) {
    if (wantsHelp) return { status: EXIT_OK, usage: generalHelp() };
    if (rest.includes("--version")) return { status: EXIT_OK, usage: host.version };
    return { status: EXIT_USAGE, error: { code: "USAGE", message: "no command given" }, usage: generalHelp() };
  }
  if (name === "help") {
    const topic = rest.find((a) => !a.startsWith("-"));
    const cmd = topic === undefined ? undefined : COMMANDS.find((c) => c.name === topic);
    if (topic !== undefined && !cmd) throw new UsageError(`unknown command ${topic}`);
    return { status: EXIT_OK, usage: cmd ? commandHelp(cmd) : generalHelp() };
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) throw new UsageError(`unknown command ${name}`);

  let parsed;
  try {
    parsed = parse(cmd, argv.slice(argv.indexOf(name) + 1).concat(argv.slice(0, argv.indexOf(name))));
  } catch (err) {
    if (err instanceof UsageError) return usageOutcome(err, cmd);
    throw err;
  }
  if (parsed.help) return { status: EXIT_OK, command: cmd.name, usage: commandHelp(cmd) };

  let opened: Promise<CliSession> | undefined;
  const ctx: CommandContext = {
    args: parsed.args,
    options: parsed.values,
    io,
    host,
    verbose,
    session: () => (opened ??= host.open({ verbose })),
    meta: { ip: null, userAgent: `${BIN}-cli/${host.version}` },
  };
  try {
    const result = await cmd.run(ctx);
    return { status: result.failed ? EXIT_FAILED : EXIT_OK, command: cmd.name, result };
  } catch (err) {
    if (err instanceof UsageError) return usageOutcome(err, cmd);
    return { ...failure(err, verbose), command: cmd.name };
  } finally {
    if (opened) await opened.then((s) => s.close()).catch(() => {});
  }
}

function usageOutcome(err: UsageError, cmd?: CommandSpec): Outcome {
  return {
    status: EXIT_USAGE,
    ...(cmd ? { command: cmd.name } : {}),
    error: { code: "USAGE", message: err.message },
    usage: cmd ? `Usage: ${synopsis(cmd)}\nRun '${BIN} ${cmd.name} --help' for details.` : `Run '${BIN} --help' for the commands.`,
  };
}

function failure(err: unknown, verbose: boolean): Outcome {
  if (err instanceof ValidationError) {
    // The use case refused an argument (an address that is not one, a too short password).
    const detail = Object.entries(err.errors).map(([field, problems]) => `${field}: ${problems.join("; ")}`).join(", ");
    return { status: EXIT_USAGE, error: { code: err.code, message: detail || err.message, fields: err.errors } };
  }
  if (isDomainError(err)) return { status: EXIT_FAILED, error: { code: err.code, message: err.message } };
  if (err instanceof CliFailure) return { status: EXIT_FAILED, error: { code: err.code, message: err.message } };
  const message = err instanceof Error ? err.message : String(err);
  return { status: EXIT_FAILED, error: { code: "FAILED", message: verbose && err instanceof Error && err.stack ? err.stack : message } };
}

/**
 * Runs one command line (without the node and script arguments) and returns the exit status.
 * Never throws and never exits the process: the entry point decides that.
 */
export async function runCli(argv: string[], io: CliIo, host: CliHost): Promise<number> {
  const json = argv.includes("--json");
  const verbose = argv.includes("--verbose");
  let outcome: Outcome;
  try {
    outcome = await execute(argv, io, host, verbose);
  } catch (err) {
    outcome = err instanceof UsageError ? usageOutcome(err) : failure(err, verbose);
  }

  if (json) {
    if (outcome.result) {
      const { data, warning } = outcome.result;
      io.out(JSON.stringify({ ok: outcome.status === EXIT_OK, command: outcome.command, ...data, ...(warning ? { warning } : {}) }, null, 2));
    } else if (outcome.error) {
      io.out(JSON.stringify({ ok: false, ...(outcome.command ? { command: outcome.command } : {}), error: outcome.error }, null, 2));
    } else {
      io.out(JSON.stringify({ ok: true, ...(outcome.command ? { command: outcome.command } : {}), help: outcome.usage }, null, 2));
    }
    return outcome.status;
  }

  if (outcome.result) {
    io.out(outcome.result.lines.join("\n"));
    if (outcome.result.warning) io.err(`warning: ${outcome.result.warning}`);
  } else if (outcome.error) {
    io.err(`${BIN}: ${outcome.error.message}${outcome.error.code === "USAGE" || outcome.error.code === "FAILED" ? "" : ` (${outcome.error.code})`}`);
    if (outcome.status === EXIT_USAGE && outcome.usage) io.err(outcome.usage);
  } else if (outcome.usage !== undefined) {
    io.out(outcome.usage);
  }
  return outcome.status;
}
