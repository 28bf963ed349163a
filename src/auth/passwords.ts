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
  busy: number;
}

export class WorkerPoolHasher implements PasswordHasher {
  readonly size: number;
  readonly #workers: PoolWorker[] = [];
  readonly #pending = new Map<number, PendingJob>();
  #nextId = 1;

  constructor(size: number, private readonly cost: number) {
    this.size = size;
    for (let i = 0; i < size; i++) {
      // A literal URL: deno compile sees the worker module (it is also listed in compile.include).
      const worker = new Worker(new URL("./password_worker.ts", import.meta.url), { type: "module" });
      const entry: PoolWorker = { worker, busy: 0 };
      worker.onmessage = (event: MessageEvent<PasswordResult>) => {
        entry.busy--;
        const result = event.data;
        const job = this.#pending.get(result.id);
        if (job === undefined) return;
        this.#pending.delete(result.id);
        if (result.ok) job.resolve(result.value);
        else job.reject(new Error(`password worker failed: ${result.error}`));
      };
      this.#workers.push(entry);
    }
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
    for (const { worker } of this.#workers) worker.terminate();
    for (const job of this.#pending.values()) job.reject(new Error("password workers stopped"));
    this.#pending.clear();
  }

  /** The least busy worker takes the job. */
  #run(job: Omit<PasswordJob, "id"> & Record<string, unknown>): Promise<string | boolean> {
    let target = this.#workers[0];
    for (const entry of this.#workers) if (entry.busy < target.busy) target = entry;
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      target.busy++;
      target.worker.postMessage({ ...job, id });
    });
  }
}
