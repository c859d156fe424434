import { sendJson } from "../http.ts";
import type { Surface, SurfaceContext } from "../surface.ts";

/** `/auth/v1` — not implemented yet. */
export function createAuthSurface(_ctx: SurfaceContext): Surface {
  return {
    prefix: "/auth/v1",
    async handle({ res }) {
      sendJson(res, 501, { message: "/auth/v1 is not implemented in the local stack yet" });
    },
  };
}
