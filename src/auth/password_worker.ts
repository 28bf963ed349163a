/// <reference lib="deno.worker" />
/**
 * A password worker: bcrypt hashing and comparison off the main thread. bcryptjs's async
 * API does not really yield (it blocks for ~100 ms at a time), so the work runs here, in a
 * module Worker, and the main thread keeps serving requests.
 */
import bcrypt from "bcryptjs";

export type PasswordJob =
  | { readonly id: number; readonly op: "hash"; readonly password: string; readonly cost: number }
  | { readonly id: number; readonly op: "compare"; readonly password: string; readonly hash: string };

export type PasswordResult =
  | { readonly id: number; readonly ok: true; readonly value: string | boolean }
  | { readonly id: number; readonly ok: false; readonly error: string };

self.onmessage = (event: MessageEvent<PasswordJob>) => {
  const job = event.data;
  try {
    const value = job.op === "hash"
      ? bcrypt.hashSync(job.password, job.cost)
      : bcrypt.compareSync(job.password, job.hash);
    self.postMessage({ id: job.id, ok: true, value } satisfies PasswordResult);
  } catch (error) {
    // Never echo the password: only the kind of failure.
    self.postMessage(
      { id: job.id, ok: false, error: error instanceof Error ? error.name : "Error" } satisfies PasswordResult,
    );
  }
};
