/**
 * The middleware composer: runs middleware in order; each gets `next()` to run the rest of
 * the chain (and finally the endpoint). Calling `next()` twice is a bug and fails loudly;
 * an error anywhere propagates back up the chain to the error-handling middleware.
 *
 * Middleware that only acts before the handler can return `next()` directly instead of
 * awaiting it: the composer adds no promises of its own, so such a layer costs a function call.
 */
import type { Context } from "./context.ts";

export type Next = () => Promise<void>;
export type Middleware = (ctx: Context, next: Next) => Promise<void>;
/** What runs after the last middleware: the router. May finish synchronously. */
export type Endpoint = (ctx: Context) => Promise<void> | void;

export class NextCalledTwiceError extends Error {
  override name = "NextCalledTwiceError";
}

const DONE: Promise<void> = Promise.resolve();

export function compose(middleware: readonly Middleware[], endpoint: Endpoint): (ctx: Context) => Promise<void> {
  const chain = [...middleware];
  const count = chain.length;
  return (ctx) => {
    let last = -1;
    const dispatch = (i: number): Promise<void> => {
      if (i <= last) return Promise.reject(new NextCalledTwiceError("next() called more than once"));
      last = i;
      try {
        if (i === count) return endpoint(ctx) ?? DONE;
        return chain[i](ctx, () => dispatch(i + 1));
      } catch (error) {
        return Promise.reject(error);
      }
    };
    return dispatch(0);
  };
}
