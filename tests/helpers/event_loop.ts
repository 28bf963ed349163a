/**
 * Whether the event loop keeps running while `work` is in progress: a 0 ms timer set as the
 * work starts fires before the work is done. False when the work holds the main thread (a
 * synchronous bcrypt, an in-process PGlite query) until it finishes.
 */
export async function timerFiresDuring(work: () => Promise<unknown>): Promise<boolean> {
  const order: string[] = [];
  const timer = new Promise<void>((resolve) =>
    setTimeout(() => {
      order.push("timer");
      resolve();
    }, 0)
  );
  await work().then(() => order.push("work"));
  await timer;
  return order[0] === "timer";
}
