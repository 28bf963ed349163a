/**
 * Protected: GET /api/profile (the caller's account), GET /api/protected_data (sample data
 * naming the caller) and GET /api/admin/stats (admins only: 403 for everyone else).
 */
import type { Context } from "../app/context.ts";
import { currentUser, protectedRoute } from "../auth/protected_route.ts";
import type { HttpResponse } from "../http/message.ts";

export const show = protectedRoute((ctx: Context): HttpResponse => {
  const user = currentUser(ctx);
  return ctx.json({ id: user.id, username: user.username, role: user.role, created_at: user.createdAt.toISOString() });
});

export const protectedData = protectedRoute((ctx: Context): HttpResponse => {
  const user = currentUser(ctx);
  return ctx.json({
    message: `Hello, ${user.username}. This data is only for signed-in users.`,
    owner: user.username,
    items: [
      { id: 1, title: "Quarterly report", confidential: true },
      { id: 2, title: "Roadmap", confidential: true },
    ],
  });
});

export const adminStats = protectedRoute(async (ctx: Context): Promise<HttpResponse> => {
  return ctx.json({ users: await ctx.services.users.count() });
}, { roles: ["admin"] });
