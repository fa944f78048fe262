// Drives a live dataplane with a client typed by openapi-typescript (from
// api/openapi.yaml, into src/api.d.ts) and openapi-fetch: lists the
// backends, starts a transaction, adds a server to a backend in it,
// commits it and follows the reload the commit answers with (Reload-ID)
// until it succeeded. Exits non-zero at the first step that does not go as
// the contract says.
//
//   node dist/walkthrough.js <base URL, e.g. http://127.0.0.1:5555/v3> <backend>
// with DATAPLANE_USER and DATAPLANE_PASSWORD in the environment.
import createClient from "openapi-fetch";
import type { paths } from "./api";

async function main(): Promise<void> {
  const [baseUrl = "http://127.0.0.1:5555/v3", backend = "app", server = "ts_client"] = process.argv.slice(2);
  const auth = Buffer.from(`${process.env.DATAPLANE_USER ?? "admin"}:${process.env.DATAPLANE_PASSWORD ?? ""}`).toString("base64");
  const client = createClient<paths>({ baseUrl, headers: { Authorization: `Basic ${auth}` } });
  const deadline = Date.now() + 90_000;

  const backends = await client.GET("/services/haproxy/configuration/backends");
  if (!backends.data) throw new Error(`list backends: ${backends.response.status} ${JSON.stringify(backends.error)}`);
  if (!backends.data.some((b) => b.name === backend)) throw new Error(`backend ${backend} is not among ${backends.data.length} listed`);
  console.log(`ts client: ${backends.data.length} backends, ${backend} among them`);

  const version = await client.GET("/services/haproxy/configuration/version");
  if (version.data === undefined) throw new Error(`version: ${version.response.status}`);
  const tx = await client.POST("/services/haproxy/transactions", { params: { query: { version: version.data } } });
  if (!tx.data) throw new Error(`start transaction: ${tx.response.status} ${JSON.stringify(tx.error)}`);
  const id = tx.data.id;
  console.log(`ts client: transaction ${id} on version ${version.data}`);

  const add = await client.POST("/services/haproxy/configuration/backends/{parent_name}/servers", {
    params: { path: { parent_name: backend }, query: { transaction_id: id } },
    body: { name: server, address: "127.0.0.1", port: 18081, check: "disabled" },
  });
  // In a transaction the change is staged: 202, applied at the commit.
  if (add.response.status !== 202) throw new Error(`add server: ${add.response.status} ${JSON.stringify(add.error)}`);

  const commit = await client.PUT("/services/haproxy/transactions/{id}", { params: { path: { id } } });
  if (commit.response.status !== 202) throw new Error(`commit: ${commit.response.status} ${JSON.stringify(commit.error)}`);
  const reloadId = commit.response.headers.get("Reload-ID");
  if (!reloadId) throw new Error("commit answered 202 without a Reload-ID");
  console.log(`ts client: committed, reload ${reloadId}`);

  for (;;) {
    const r = await client.GET("/services/haproxy/reloads/{id}", { params: { path: { id: reloadId } } });
    if (!r.data) throw new Error(`reload ${reloadId}: ${r.response.status} ${JSON.stringify(r.error)}`);
    if (r.data.status === "succeeded") break;
    if (r.data.status === "failed") throw new Error(`reload ${reloadId} failed: ${r.data.response}`);
    if (Date.now() > deadline) throw new Error(`reload ${reloadId} still ${r.data.status} after 90s`);
    await new Promise((done) => setTimeout(done, 200));
  }
  console.log(`ts client: reload ${reloadId} succeeded`);

  const got = await client.GET("/services/haproxy/configuration/backends/{parent_name}/servers/{name}", {
    params: { path: { parent_name: backend, name: server } },
  });
  if (got.data?.address !== "127.0.0.1") throw new Error(`read the server back: ${got.response.status} ${JSON.stringify(got.error)}`);
  console.log("ts client: OK");
}

main().catch((err: unknown) => {
  console.error(`ts client: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
