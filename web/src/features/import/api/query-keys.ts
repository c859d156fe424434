/** Query and mutation keys of the import feature. */
export const importKeys = {
  all: ["import"] as const,
  storedObjects: (userId: string, importId: string) => [...importKeys.all, "stored", userId, importId] as const,
  trigger: (userId: string) => [...importKeys.all, "trigger", userId] as const,
};
