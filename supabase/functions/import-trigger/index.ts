import { env } from "../_shared/env.ts";
import { withErrors } from "../_shared/http.ts";
import { handleImportTrigger } from "./handler.ts";

const config = env();
Deno.serve(withErrors((req) => handleImportTrigger(req, { env: config })));
