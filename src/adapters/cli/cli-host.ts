import type { CreateVerifiedUser } from "../../application/use-cases/create-verified-user.use-case.js";
import type { DeactivateAccount } from "../../application/use-cases/deactivate-account.use-case.js";
import type { EraseAccount } from "../../application/use-cases/erase-account.use-case.js";
import type { FindUserByEmail } from "../../application/use-cases/find-user-by-email.use-case.js";
import type { ListSessions } from "../../application/use-cases/list-sessions.use-case.js";
import type { LockAccount } from "../../application/use-cases/lock-account.use-case.js";
import type { PurgeDeletedAccountsOutput } from "../../application/use-cases/purge-deleted-accounts.use-case.js";
import type { RestoreAccount } from "../../application/use-cases/restore-account.use-case.js";
import type { RevokeOtherSessions } from "../../application/use-cases/revoke-other-sessions.use-case.js";
import type { RevokeSession } from "../../application/use-cases/revoke-session.use-case.js";
import type { UnlockAccount } from "../../application/use-cases/unlock-account.use-case.js";

type Exec<T extends { execute: (...args: never[]) => unknown }> = Pick<T, "execute">;

/** The use cases the operator commands drive; the library's `useCases` has all of them. */
export interface CliUseCases {
  createVerifiedUser: Exec<CreateVerifiedUser>;
  findUserByEmail: Exec<FindUserByEmail>;
  lockAccount: Exec<LockAccount>;
  unlockAccount: Exec<UnlockAccount>;
  listSessions: Exec<ListSessions>;
  revokeSession: Exec<RevokeSession>;
  revokeOtherSessions: Exec<RevokeOtherSessions>;
  deactivateAccount: Exec<DeactivateAccount>;
  eraseAccount: Exec<EraseAccount>;
  restoreAccount: Exec<RestoreAccount>;
}

/** An open connection to the service's stores, for one command. */
export interface CliSession {
  useCases: CliUseCases;
  /**
   * false when sessions, codes and lockouts live in this process only (no REDIS_URL): the
   * server keeps its own in its memory, out of this process's reach.
   */
  sharedSessionStore: boolean;
  /** Erases the soft-deleted accounts past their retention window, batch after batch (as `npm run purge`). */
  purge(): Promise<PurgeDeletedAccountsOutput>;
  close(): Promise<void>;
}

/**
 * What the composition root gives the CLI: the CLI parses, calls use cases and presents; it
 * never reads the environment or opens a database itself.
 */
export interface CliHost {
  version: string;
  /** Reads the configuration and opens the stores (applying migrations, as the server does). */
  open(options: { verbose: boolean }): Promise<CliSession>;
  /** Applies pending migrations; describes the database it applied them to. */
  migrate(): Promise<{ database: string; location: string }>;
  /** The effective configuration, secrets and credentials masked. */
  configuration(): Promise<Record<string, unknown>>;
}

/** The process around the CLI: output streams and stdin. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Everything on stdin; null when stdin is a terminal (nothing was piped in). */
  readStdin(): Promise<string | null>;
}
