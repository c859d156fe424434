import { sendJson } from "../http.ts";
import type { Surface, SurfaceContext } from "../surface.ts";

/** `/functions/v1` — not implemented yet. */
export function createFunctionsSurface(_ctx: SurfaceContext): Surface {
  return {
    prefix: "/functions/v1",
    async handle({ res }) {
      sendJson(res, 501, { message: "/functions/v1 is not implemented in the local stack yet" });
    },
  };
}
