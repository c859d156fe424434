import { sendJson } from "../http.ts";
import type { Surface, SurfaceContext } from "../surface.ts";

/** `/realtime/v1` — not implemented yet. */
export function createRealtimeSurface(_ctx: SurfaceContext): Surface {
  return {
    prefix: "/realtime/v1",
    async handle({ res }) {
      sendJson(res, 501, { message: "/realtime/v1 is not implemented in the local stack yet" });
    },
  };
}
