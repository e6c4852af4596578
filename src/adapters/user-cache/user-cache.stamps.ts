/**
 * Where every instance's user cache learns that a user changed. A stamp names one state of a
 * user's row: `current` returns the stamp now in force (minting one when there is none), and
 * `invalidate` retires it, so the next `current` returns a new stamp that no cache entry carries.
 *
 * The order that makes a cached row safe to serve: a reader takes the stamp *before* it reads the
 * row, and a writer retires the stamp *after* its write committed. A row cached under stamp S was
 * therefore read after S came into force, and S is retired by any write that committed since.
 */
export interface UserCacheStamps {
  current(userId: string): Promise<string>;
  invalidate(userId: string): Promise<void>;
}
