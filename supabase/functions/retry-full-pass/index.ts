import { env } from "../_shared/env.ts";
import { withErrors } from "../_shared/http.ts";
import { handleRetryFullPass } from "./handler.ts";

const config = env();
Deno.serve(withErrors((req) => handleRetryFullPass(req, { env: config })));
