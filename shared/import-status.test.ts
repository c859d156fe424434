import { describe, expect, it } from "vitest";
import { DB_REASON_STATUS, parseDbRefusal, RetryBlockedReason, retryBlockedMessage } from "./import-status.ts";

describe("parseDbRefusal()", () => {
  it("parseDbRefusal() reads status, reason and the retry wait of a rate-limited refusal", () => {
    const r = parseDbRefusal({
      code: "PT429",
      message: "Too many retries; try again later",
      details: "rate_limited",
      hint: '{"retry_after_seconds": 120}',
    });
    expect(r).toEqual({
      status: 429,
      reason: "rate_limited",
      message: "Too many retries; try again later",
      retryAfterSeconds: 120,
      hint: { retry_after_seconds: 120 },
    });
  });

  it("parseDbRefusal() returns null for errors that are not our refusals", () => {
    expect(parseDbRefusal(null)).toBeNull();
    expect(parseDbRefusal({ code: "23505", message: "duplicate key", details: "Key (id)=(1) already exists." })).toBeNull();
    expect(parseDbRefusal({ code: "PT409", message: "x", details: "some_future_reason" })).toBeNull();
  });

  it("parseDbRefusal() tolerates an empty or non-JSON hint", () => {
    expect(parseDbRefusal({ code: "PT409", message: "m", details: "not_failed", hint: "" })).toMatchObject({ hint: null, retryAfterSeconds: null });
    expect(parseDbRefusal({ code: "PT409", message: "m", details: "not_failed", hint: "oops" })).toMatchObject({ hint: null });
  });

  it("every reason code maps to the HTTP status its SQLSTATE names", () => {
    for (const [reason, status] of Object.entries(DB_REASON_STATUS)) {
      expect(parseDbRefusal({ code: `PT${status}`, message: "m", details: reason })?.status).toBe(status);
    }
  });
});

describe("retryBlockedMessage()", () => {
  it("retryBlockedMessage() has a sentence for every reason and includes the wait when known", () => {
    for (const reason of RetryBlockedReason.options) expect(retryBlockedMessage(reason)).toMatch(/\.$/);
    expect(retryBlockedMessage("rate_limited", 42)).toContain("42 s");
  });
});
