/** Query keys of the import-status feature, one factory so invalidation can't miss a key. */
export const importStatusKeys = {
  all: ["import-status"] as const,
  detail: (userId: string) => [...importStatusKeys.all, userId] as const,
};
