/// <reference lib="deno.worker" />
/**
 * A password worker that crashes (an uncaught error) on the password "crash" and answers
 * every other job like the real one: for testing how the pool survives a dead worker.
 */
import bcrypt from "bcryptjs";
import type { PasswordJob, PasswordResult } from "../../src/auth/password_worker.ts";

self.onmessage = (event: MessageEvent<PasswordJob>) => {
  const job = event.data;
  if (job.password === "crash") throw new Error("worker crashed on purpose");
  const value = job.op === "hash"
    ? bcrypt.hashSync(job.password, job.cost)
    : bcrypt.compareSync(job.password, job.hash);
  self.postMessage({ id: job.id, ok: true, value } satisfies PasswordResult);
};
