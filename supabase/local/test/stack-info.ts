/** What the test stack tells the tests: URL, keys and where its state lives. */
export interface StackInfo {
  url: string;
  dbUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  publishableKey: string;
  secretKey: string;
  jwtSecret: string;
  stateDir: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}
