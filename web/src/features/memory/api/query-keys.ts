/** Query keys of the memory feature. */
export const memoryKeys = {
  all: ["memory"] as const,
  profile: (userId: string) => [...memoryKeys.all, "profile", userId] as const,
  facts: (userId: string) => [...memoryKeys.all, "facts", userId] as const,
};
