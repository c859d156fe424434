import type WebSocket from "ws";
import type { StackConfig } from "../config.ts";
import { effectiveToken, InvalidTokenError, subscriberFor } from "./auth.ts";
import { parseBindings, type Binding, type Subscriber } from "./channel.ts";
import { decodeFrame, encodeFrame, PHX, type PhoenixMessage, type Vsn } from "./phoenix.ts";

/** A joined `realtime:<name>` channel of one socket, as the dispatcher sees it. */
export interface LiveChannel {
  readonly topic: string;
  /** The sub-topic (`<name>`), reported in `system` messages. */
  readonly name: string;
  readonly joinRef: string | null;
  readonly bindings: Binding[];
  subscriber: Subscriber;
  /** Sends a change event (`postgres_changes`, ref null, the current join ref). */
  push(event: string, payload: Record<string, unknown>): void;
}

/** Where joined channels are registered so the WAL dispatcher can reach them. */
export interface ChannelRegistry {
  add(channel: LiveChannel): void;
  delete(channel: LiveChannel): void;
}

interface JoinedChannel extends LiveChannel {
  expiry: NodeJS.Timeout | undefined;
}

/** setTimeout's ceiling; tokens expiring later than this (the demo keys) need no timer. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * One websocket of realtime-js: Phoenix framing (1.0.0 or 2.0.0, from `vsn` or the first
 * frame), heartbeats, joins with postgres_changes bindings, `access_token` refreshes, leave,
 * and closing channels whose token expires. Frames are handled one at a time, in order.
 */
export class RealtimeConnection {
  private readonly channels = new Map<string, JoinedChannel>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly ws: WebSocket,
    private readonly cfg: StackConfig,
    private readonly registry: ChannelRegistry,
    private readonly connectionToken: string,
    private vsn: Vsn | undefined,
    private readonly log: (line: string) => void,
  ) {
    ws.on("message", (data, isBinary) => {
      if (isBinary) return; // broadcast only; not supported here
      const text = Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data as ArrayBuffer).toString("utf8");
      this.chain = this.chain
        .then(() => this.receive(text))
        .catch((error: unknown) => this.log(`realtime: frame failed: ${(error as Error).stack ?? error}`));
    });
    ws.on("close", () => this.dropAll());
    ws.on("error", () => this.dropAll());
  }

  private send(message: PhoenixMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encodeFrame(message, this.vsn ?? "2.0.0"));
  }

  private reply(request: PhoenixMessage, status: "ok" | "error", response: Record<string, unknown>): void {
    this.send({ joinRef: request.joinRef, ref: request.ref, topic: request.topic, event: PHX.reply, payload: { status, response } });
  }

  private async receive(text: string): Promise<void> {
    let decoded: { message: PhoenixMessage; vsn: Vsn };
    try {
      decoded = decodeFrame(text);
    } catch (error) {
      this.log(`realtime: ignored a frame: ${(error as Error).message}`);
      return;
    }
    this.vsn ??= decoded.vsn;
    const message = decoded.message;
    if (message.topic === "phoenix" && message.event === PHX.heartbeat) {
      this.reply(message, "ok", {});
      return;
    }
    if (message.event === PHX.join) {
      await this.join(message);
      return;
    }
    const channel = this.channels.get(message.topic);
    if (!channel || (message.joinRef !== null && message.joinRef !== channel.joinRef)) {
      if (message.ref !== null) this.reply(message, "error", { reason: "unmatched topic" });
      return;
    }
    switch (message.event) {
      case PHX.leave:
        this.reply(message, "ok", {});
        this.close(channel);
        return;
      case PHX.accessToken:
        await this.refresh(channel, message.payload.access_token);
        return;
      default:
        // broadcast / presence pushes: acknowledged, not delivered (postgres_changes only).
        if (message.ref !== null) this.reply(message, "ok", {});
    }
  }

  private async join(message: PhoenixMessage): Promise<void> {
    const existing = this.channels.get(message.topic);
    if (existing) this.drop(existing);
    if (!message.topic.startsWith("realtime:")) {
      this.reply(message, "error", { reason: "UnknownTopic: topics must start with realtime:" });
      return;
    }
    const name = message.topic.slice("realtime:".length);
    let subscriber: Subscriber;
    try {
      subscriber = await subscriberFor(this.cfg, effectiveToken(this.cfg, message.payload.access_token, this.connectionToken));
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      this.reply(message, "error", { reason: `InvalidJWTToken: ${error.message}` });
      return;
    }
    const { bindings, errors } = parseBindings(message.payload.config);
    const joined: JoinedChannel = {
      topic: message.topic,
      name,
      joinRef: message.joinRef ?? message.ref,
      bindings,
      subscriber,
      expiry: undefined,
      push: (event, payload) =>
        this.send({ joinRef: joined.joinRef, ref: null, topic: joined.topic, event, payload }),
    };
    // Live before the reply: a change committed right after SUBSCRIBED must reach the client.
    this.channels.set(message.topic, joined);
    this.registry.add(joined);
    this.armExpiry(joined);
    this.reply(message, "ok", { postgres_changes: bindings.map((b) => b.echo) });
    if (bindings.length === 0) return;
    if (errors.length > 0) {
      this.system(joined, "postgres_changes", "error", errors.join("; "));
    } else {
      this.system(joined, "postgres_changes", "ok", "Subscribed to PostgreSQL");
    }
  }

  private async refresh(channel: JoinedChannel, token: unknown): Promise<void> {
    const next = effectiveToken(this.cfg, token, this.connectionToken);
    if (next === channel.subscriber.token) return;
    try {
      channel.subscriber = await subscriberFor(this.cfg, next);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      this.system(channel, "system", "error", `Received an invalid access token from client: ${error.message}`);
      this.close(channel);
      return;
    }
    this.armExpiry(channel);
  }

  private armExpiry(channel: JoinedChannel): void {
    clearTimeout(channel.expiry);
    channel.expiry = undefined;
    const exp = channel.subscriber.claims.exp;
    if (typeof exp !== "number") return;
    const ms = exp * 1000 - Date.now();
    if (ms > MAX_TIMER_MS) return;
    channel.expiry = setTimeout(() => {
      if (this.channels.get(channel.topic) !== channel) return;
      this.system(channel, "system", "error", "Token has expired 0 seconds ago");
      this.close(channel);
    }, Math.max(0, ms));
    channel.expiry.unref();
  }

  private system(channel: LiveChannel, extension: string, status: "ok" | "error", text: string): void {
    channel.push("system", { extension, status, message: text, channel: channel.name });
  }

  /** Removes the channel and tells the client (`phx_close` with the join ref). */
  private close(channel: JoinedChannel): void {
    this.drop(channel);
    this.send({ joinRef: channel.joinRef, ref: channel.joinRef, topic: channel.topic, event: PHX.close, payload: {} });
  }

  private drop(channel: JoinedChannel): void {
    clearTimeout(channel.expiry);
    if (this.channels.get(channel.topic) === channel) this.channels.delete(channel.topic);
    this.registry.delete(channel);
  }

  private dropAll(): void {
    for (const channel of [...this.channels.values()]) this.drop(channel);
  }
}
