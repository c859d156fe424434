import { env } from "../_shared/env.ts";
import { withErrors } from "../_shared/http.ts";
import { handleWorker } from "./handler.ts";

const config = env();
Deno.serve(withErrors((req) => handleWorker(req, { env: config })));
