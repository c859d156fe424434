/** One `npm run engram -- <name>` command (file `scripts/engram/<name>.ts`, export `command`). */
export interface Command {
  /** One-line usage, e.g. "normalize <export file> --out <dir>". */
  usage: string;
  summary: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: string[]): Promise<number>;
}
