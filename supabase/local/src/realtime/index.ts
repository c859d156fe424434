import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { dbUrl } from "../config.ts";
import { createPool } from "../db.ts";
import { sendJson } from "../http.ts";
import { verifyJwt } from "../jwt.ts";
import type { Surface, SurfaceContext } from "../surface.ts";
import { RealtimeConnection } from "./connection.ts";
import { Dispatcher, type DeliveryProbe } from "./dispatch.ts";
import { parseVsn, type Vsn } from "./phoenix.ts";
import { WalReader } from "./wal.ts";

/** Options for tests and benchmarks. */
export interface RealtimeOptions {
  /** Called after each change has been sent to its subscribers. */
  probe?: DeliveryProbe;
}

/** Paths realtime-js (`/websocket`) and the real server (`/socket/websocket`) use. */
const SOCKET_PATHS = new Set(["/websocket", "/socket/websocket"]);

function refuse(socket: Duplex, status: number, text: string, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * `/realtime/v1`: Phoenix websocket for `postgres_changes` fed by the WAL (logical replication
 * of publication `supabase_realtime`), with per-subscriber RLS. See supabase-contracts.md §5.
 * Broadcast and presence are not implemented (pushes are acknowledged, nothing is relayed).
 */
export function createRealtimeSurface(ctx: SurfaceContext, options: RealtimeOptions = {}): Surface {
  const { cfg, log } = ctx;
  // RLS checks get their own pool so a burst of changes cannot starve the REST surface.
  const pool = createPool(cfg, 10);
  const dispatcher = new Dispatcher(pool, log, options.probe);
  const wal = new WalReader({
    connectionString: dbUrl(cfg),
    pool,
    onChange: (change) => dispatcher.dispatch(change),
    log,
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  let stopped = false;

  return {
    prefix: "/realtime/v1",

    async handle({ res, path }) {
      if (path.startsWith("/api/")) {
        sendJson(res, 501, { message: "Realtime broadcast over HTTP is not implemented in the local stack" });
        return;
      }
      sendJson(res, 404, { message: "Not found" });
    },

    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, path: string) {
      socket.on("error", () => {});
      if (stopped || !SOCKET_PATHS.has(path)) {
        refuse(socket, 404, "Not Found", JSON.stringify({ message: "Not found" }));
        return;
      }
      const url = new URL(req.url ?? "/", "http://localhost");
      const header = req.headers["x-api-key"];
      const token = url.searchParams.get("apikey") ?? (Array.isArray(header) ? header[0] : header);
      let vsn: Vsn | undefined;
      try {
        vsn = parseVsn(url.searchParams.get("vsn"));
      } catch (error) {
        refuse(socket, 400, "Bad Request", JSON.stringify({ message: (error as Error).message }));
        return;
      }
      if (!token) {
        refuse(socket, 401, "Unauthorized", JSON.stringify({ message: "apikey is required" }));
        return;
      }
      verifyJwt(token, cfg.jwtSecret).then(
        () => {
          wss.handleUpgrade(req, socket, head, (ws) => {
            new RealtimeConnection(ws, cfg, dispatcher, token, vsn, log);
          });
        },
        (error: unknown) => refuse(socket, 401, "Unauthorized", JSON.stringify({ message: (error as Error).message })),
      );
    },

    async start() {
      stopped = false;
      await wal.start();
    },

    async stop() {
      stopped = true;
      // Going away: clients reconnect with back-off and rejoin whichever stack answers next.
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await wal.stop();
      await dispatcher.drain();
      await pool.end().catch(() => {});
    },
  };
}
