/** Query keys of the chat feature. */
export const chatKeys = {
  all: ["chat"] as const,
  messages: (userId: string) => [...chatKeys.all, "messages", userId] as const,
};
