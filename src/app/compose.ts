/**
 * The middleware composer: runs middleware in order; each gets `next()` to run the rest of
 * the chain (and finally the endpoint). Calling `next()` twice is a bug and fails loudly;
 * an error anywhere propagates back up the chain to the error-handling middleware.
 *
 * Middleware that only acts before the handler returns `next()` directly instead of awaiting
 * it, and work after the handler that is synchronous goes in `ctx.beforeSend()`. When every
 * layer does so and the handler is synchronous, the whole chain returns DONE without a single
 * promise being made, and the app answers synchronously. Errors thrown synchronously propagate
 * synchronously (the error handler catches both kinds).
 */
import type { Context } from "./context.ts";

export type Next = () => Promise<void>;
export type Middleware = (ctx: Context, next: Next) => Promise<void>;
/** What runs after the last middleware: the router. May finish synchronously (undefined). */
export type Endpoint = (ctx: Context) => Promise<void> | void;

export class NextCalledTwiceError extends Error {
  override name = "NextCalledTwiceError";
}

/** The result of a chain that completed synchronously. */
export const DONE: Promise<void> = Promise.resolve();

export function compose(middleware: readonly Middleware[], endpoint: Endpoint): (ctx: Context) => Promise<void> {
  const chain = [...middleware];
  const count = chain.length;
  return (ctx) => {
    let last = -1;
    const dispatch = (i: number): Promise<void> => {
      if (i <= last) throw new NextCalledTwiceError("next() called more than once");
      last = i;
      if (i === count) return endpoint(ctx) ?? DONE;
      return chain[i](ctx, () => dispatch(i + 1));
    };
    return dispatch(0);
  };
}
