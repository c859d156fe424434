import { sendJson } from "../http.ts";
import type { Surface, SurfaceContext } from "../surface.ts";

/** `/rest/v1` — not implemented yet. */
export function createRestSurface(_ctx: SurfaceContext): Surface {
  return {
    prefix: "/rest/v1",
    async handle({ res }) {
      sendJson(res, 501, { message: "/rest/v1 is not implemented in the local stack yet" });
    },
  };
}
