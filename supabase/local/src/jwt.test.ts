import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { JwtError, signJwt, verifyHs256, verifyJwt } from "./jwt.ts";

const SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

async function refusal(promise: Promise<unknown>): Promise<JwtError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JwtError);
  return error as JwtError;
}

describe("verifyHs256()", () => {
  it("returns the payload of a token signed with the secret", async () => {
    const token = await signJwt({ role: "anon", exp: now() + 60 }, SECRET);
    expect(await verifyHs256(token, SECRET)).toMatchObject({ role: "anon" });
  });

  it("refuses alg none, other algorithms and a wrong secret", async () => {
    const none = `${b64({ alg: "none", typ: "JWT" })}.${b64({ role: "service_role" })}.`;
    expect((await refusal(verifyHs256(none, SECRET))).reason).toBe("invalid");
    const hs512 = await new SignJWT({ role: "service_role" })
      .setProtectedHeader({ alg: "HS512" })
      .sign(new TextEncoder().encode(SECRET));
    expect((await refusal(verifyHs256(hs512, SECRET))).reason).toBe("invalid");
    const forged = await signJwt({ role: "service_role" }, `${SECRET}-other`);
    expect((await refusal(verifyHs256(forged, SECRET))).reason).toBe("signature");
  });

  it("refuses an expired token and one without three parts, saying which", async () => {
    const expired = await refusal(verifyHs256(await signJwt({ role: "anon", exp: now() - 10 }, SECRET), SECRET));
    expect([expired.reason, expired.expired, expired.message]).toEqual(["expired", true, "JWT expired"]);
    const malformed = await refusal(verifyHs256("a.b", SECRET));
    expect([malformed.reason, malformed.message]).toEqual(["malformed", "Expected 3 parts in JWT; got 2"]);
  });
});

describe("verifyJwt()", () => {
  it("refuses a well-signed token without a role claim", async () => {
    const token = await signJwt({ sub: "x", exp: now() + 60 }, SECRET);
    expect((await refusal(verifyJwt(token, SECRET))).message).toBe("JWT has no role claim");
  });
});
