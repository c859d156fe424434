import { sendJson } from "../http.ts";
import type { Surface, SurfaceContext } from "../surface.ts";

/** `/storage/v1` — not implemented yet. */
export function createStorageSurface(_ctx: SurfaceContext): Surface {
  return {
    prefix: "/storage/v1",
    async handle({ res }) {
      sendJson(res, 501, { message: "/storage/v1 is not implemented in the local stack yet" });
    },
  };
}
