import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { BcryptEngine } from "./bcrypt-password.hasher.js";

export interface BcryptWorkerThreadsOptions {
  /** Worker threads; the hasher in front of them never runs more hashes at once. */
  threads: number;
  /**
   * Nice value (0-19) each thread gives itself, Linux only: the event loop, Redis and PostgreSQL
   * then take the CPU first and hashing gets what they leave. 0 = same priority as the rest.
   */
  nice: number;
}

/**
 * Runs in each thread: lowers its own priority (a thread's id is a pid to setpriority on Linux,
 * and /proc/thread-self names it), then hashes with the native bcrypt synchronously: the thread
 * exists for this, the event loop never waits on it.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const bcrypt = require(workerData.bcryptPath);
let niced = false;
if (workerData.nice > 0) {
  try {
    const tid = Number(require("node:fs").readlinkSync("/proc/thread-self").split("/").pop());
    require("node:os").setPriority(tid, workerData.nice);
    niced = true;
  } catch {}
}
parentPort.postMessage({ ready: true, niced });
parentPort.on("message", (job) => {
  try {
    const result = job.op === "hash" ? bcrypt.hashSync(job.password, job.cost) : bcrypt.compareSync(job.password, job.hash);
    parentPort.postMessage({ id: job.id, result });
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: String(err && err.message || err) });
  }
});
`;

interface Job {
  id: number;
  resolve: (value: never) => void;
  reject: (err: Error) => void;
}

interface Thread {
  worker: Worker;
  busy: number;
}

/**
 * The native bcrypt on threads of its own, at a lower priority than everything else in the
 * process. On libuv's shared thread pool a sign-in flood takes every core at the event loop's
 * priority and a request that needs a millisecond of CPU waits for the scheduler; here the
 * kernel hands the core to the event loop as soon as it has work. Threads start on first use
 * and are spread by load; a thread that dies fails its jobs and is replaced.
 */
export class BcryptWorkerThreads implements BcryptEngine {
  readonly #options: BcryptWorkerThreadsOptions;
  readonly #bcryptPath = createRequire(import.meta.url).resolve("bcrypt");
  readonly #threads: Thread[] = [];
  readonly #jobs = new Map<number, Job & { thread: Thread }>();
  #nextId = 1;
  #closed = false;
  /** Whether the threads could lower their priority (false off Linux, or when refused). */
  niced: boolean | null = null;

  constructor(options: BcryptWorkerThreadsOptions) {
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new RangeError("threads must be a positive integer");
    if (!Number.isInteger(options.nice) || options.nice < 0 || options.nice > 19) throw new RangeError("nice must be an integer from 0 to 19");
    this.#options = options;
  }

  hash(password: string, cost: number): Promise<string> {
    return this.#submit({ op: "hash", password, cost });
  }

  compare(password: string, hash: string): Promise<boolean> {
    return this.#submit({ op: "compare", password, hash });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const threads = this.#threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  #submit<T>(message: { op: string; password: string; cost?: number; hash?: string }): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("the bcrypt threads are closed"));
    const thread = this.#pick();
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#jobs.set(id, { id, resolve: resolve as (value: never) => void, reject, thread });
      thread.busy++;
      thread.worker.postMessage({ id, ...message });
    });
  }

  #pick(): Thread {
    let best: Thread | undefined;
    for (const t of this.#threads) if (!best || t.busy < best.busy) best = t;
    if (best && (best.busy === 0 || this.#threads.length >= this.#options.threads)) return best;
    return this.#spawn();
  }

  #spawn(): Thread {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { bcryptPath: this.#bcryptPath, nice: this.#options.nice },
      // Plain JavaScript and one native module: none of the parent's flags (the tsx loader, heap
      // sizes) are needed, and each would cost start-up time and memory per thread.
      execArgv: [],
    });
    // Idle threads must not keep a process (a CLI run, a test) alive.
    worker.unref();
    const thread: Thread = { worker, busy: 0 };
    this.#threads.push(thread);
    worker.on("message", (msg: { ready?: boolean; niced?: boolean; id?: number; result?: unknown; error?: string }) => {
      if (msg.ready) {
        this.niced = msg.niced ?? false;
        return;
      }
      const job = this.#jobs.get(msg.id!);
      if (!job) return;
      this.#jobs.delete(job.id);
      thread.busy--;
      if (msg.error !== undefined) job.reject(new Error(msg.error));
      else job.resolve(msg.result as never);
    });
    const fail = (err: Error) => {
      const index = this.#threads.indexOf(thread);
      if (index !== -1) this.#threads.splice(index, 1);
      for (const job of [...this.#jobs.values()]) {
        if (job.thread !== thread) continue;
        this.#jobs.delete(job.id);
        job.reject(err);
      }
    };
    worker.on("error", fail);
    worker.on("exit", (code) => {
      if (!this.#closed) fail(new Error(`a bcrypt thread exited (code ${code})`));
    });
    return thread;
  }
}
