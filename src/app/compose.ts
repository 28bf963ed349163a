/**
 * The middleware composer: runs middleware in order; each gets `next()` to run the rest of
 * the chain (and finally the endpoint). Calling `next()` twice is a bug and fails loudly;
 * an error anywhere propagates back up the chain to the error-handling middleware.
 */
import type { Context } from "./context.ts";

export type Next = () => Promise<void>;
export type Middleware = (ctx: Context, next: Next) => Promise<void>;
/** What runs after the last middleware: the router. */
export type Endpoint = (ctx: Context) => Promise<void> | void;

export class NextCalledTwiceError extends Error {
  override name = "NextCalledTwiceError";
}

export function compose(middleware: readonly Middleware[], endpoint: Endpoint): (ctx: Context) => Promise<void> {
  const chain = [...middleware];
  return (ctx) => {
    let last = -1;
    const dispatch = async (i: number): Promise<void> => {
      if (i <= last) throw new NextCalledTwiceError("next() called more than once");
      last = i;
      if (i === chain.length) return await endpoint(ctx);
      await chain[i](ctx, () => dispatch(i + 1));
    };
    return dispatch(0);
  };
}
