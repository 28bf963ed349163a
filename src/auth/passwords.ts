/**
 * Password hashing with bcrypt. The pool runs bcrypt in module Workers (one per core by
 * default) so logins never stall the event loop; the inline hasher runs it on the main
 * thread and exists for comparison (the benchmark) and for one-off commands.
 *
 * bcrypt reads only the first 72 bytes of a password: longer ones are refused by the
 * handlers, never truncated silently.
 */
import bcrypt from "bcryptjs";
import type { PasswordJob, PasswordResult } from "./password_worker.ts";

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  /** Whether a stored hash should be replaced (made with another cost). */
  needsRehash(hash: string): boolean;
  close(): void;
}

/** Longest password bcrypt uses in full. */
export const MAX_PASSWORD_BYTES = 72;

function needsRehash(hash: string, cost: number): boolean {
  try {
    return bcrypt.getRounds(hash) !== cost;
  } catch {
    return true;
  }
}

export class InlineHasher implements PasswordHasher {
  constructor(private readonly cost: number) {}
  hash(password: string): Promise<string> {
    return Promise.resolve(bcrypt.hashSync(password, this.cost));
  }
  verify(password: string, hash: string): Promise<boolean> {
    return Promise.resolve(bcrypt.compareSync(password, hash));
  }
  needsRehash(hash: string): boolean {
    return needsRehash(hash, this.cost);
  }
  close(): void {}
}

interface PendingJob {
  resolve(value: string | boolean): void;
  reject(error: Error): void;
}

interface PoolWorker {
  readonly worker: Worker;
  /** The ids of the jobs this worker holds, in the order it received them. */
  readonly jobs: Set<number>;
}

export class WorkerPoolHasher implements PasswordHasher {
  readonly size: number;
  readonly #workers: PoolWorker[] = [];
  readonly #pending = new Map<number, PendingJob>();
  #nextId = 1;
  #closed = false;

  /**
   * `workerUrl` is for tests (a worker that misbehaves); the default is a literal URL so that
   * `deno compile` and readers see the module (it is also listed in compile.include).
   */
  constructor(
    size: number,
    private readonly cost: number,
    private readonly workerUrl: URL = new URL("./password_worker.ts", import.meta.url),
  ) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`a password pool needs at least one worker, not ${size}`);
    }
    this.size = size;
    for (let i = 0; i < size; i++) this.#workers.push(this.#spawn());
  }

  #spawn(): PoolWorker {
    const worker = new Worker(this.workerUrl, { type: "module" });
    const entry: PoolWorker = { worker, jobs: new Set() };
    worker.onmessage = (event: MessageEvent<PasswordResult>) => {
      const result = event.data;
      entry.jobs.delete(result.id);
      const job = this.#pending.get(result.id);
      if (job === undefined) return;
      this.#pending.delete(result.id);
      if (result.ok) job.resolve(result.value);
      else job.reject(new Error(`password worker failed: ${result.error}`));
    };
    // A worker that dies must not leave its callers waiting forever: fail its jobs, replace it.
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#fail(entry, "password worker crashed");
      worker.terminate();
      if (this.#closed) return;
      const index = this.#workers.indexOf(entry);
      if (index !== -1) this.#workers[index] = this.#spawn();
    };
    return entry;
  }

  #fail(entry: PoolWorker, message: string): void {
    for (const id of entry.jobs) {
      this.#pending.get(id)?.reject(new Error(message));
      this.#pending.delete(id);
    }
    entry.jobs.clear();
  }

  hash(password: string): Promise<string> {
    return this.#run({ op: "hash", password, cost: this.cost }) as Promise<string>;
  }

  verify(password: string, hash: string): Promise<boolean> {
    return this.#run({ op: "compare", password, hash }) as Promise<boolean>;
  }

  needsRehash(hash: string): boolean {
    return needsRehash(hash, this.cost);
  }

  close(): void {
    this.#closed = true;
    for (const entry of this.#workers) {
      entry.worker.terminate();
      this.#fail(entry, "password workers stopped");
    }
  }

  /** The least busy worker takes the job. */
  #run(job: Omit<PasswordJob, "id"> & Record<string, unknown>): Promise<string | boolean> {
    if (this.#closed) return Promise.reject(new Error("password workers stopped"));
    let target = this.#workers[0];
    for (const entry of this.#workers) if (entry.jobs.size < target.jobs.size) target = entry;
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      target.jobs.add(id);
      target.worker.postMessage({ ...job, id });
    });
  }
}
