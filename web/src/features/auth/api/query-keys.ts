/** Query keys of the auth feature. */
export const authKeys = {
  session: ["auth", "session"] as const,
};
