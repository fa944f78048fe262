#!/usr/bin/env bash
# Checks the HTTP contract, api/openapi.yaml, with the tools clients use:
#  1. Redocly CLI lints it with the recommended rules (redocly.yaml and
#     .redocly.lint-ignore.yaml at the repo root): no error and no warning;
#  2. openapi-typescript generates a TypeScript client from it, and a small
#     program using that client's types compiles with tsc --strict, including
#     lines that must NOT compile (unknown fields, wrong enum values).
# Needs node/npm and access to the npm registry; every tool's version is
# pinned (Redocly here, the others in clients/ts/package-lock.json).
# `go test ./api/` checks the rest (the spec loads in kin-openapi and matches
# the Go models); scripts/clients-check.sh runs clients against a server.
set -euo pipefail

cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== redocly lint (recommended)"
npx --yes @redocly/cli@2.77.0 lint api/openapi.yaml 2>&1 | tee "$tmp/lint.log"
# Warnings leave the exit status at 0: they fail here.
if grep -Eq 'You have [0-9]+ warning' "$tmp/lint.log"; then
  echo "redocly lint: warnings above" >&2
  exit 1
fi

echo "== openapi-typescript"
(cd clients/ts && npm ci --no-audit --no-fund --loglevel=error)
bin=$PWD/clients/ts/node_modules/.bin
"$bin/openapi-typescript" api/openapi.yaml -o "$tmp/api.d.ts"

cat >"$tmp/use.ts" <<'TS'
import type { components, operations, paths } from "./api";

type Schemas = components["schemas"];
type Server = Schemas["server"];
type Bind = Schemas["bind"];
type Frontend = Schemas["frontend"];
type Backend = Schemas["backend"];
type Defaults = Schemas["defaults"];
type Global = Schemas["global"];
type Acl = Schemas["acl"];

const server: Server = {
  name: "web1", address: "10.0.0.1", port: 8080, check: "enabled", inter: 2000,
  weight: 10, "send-proxy-v2": "disabled", maintenance: "disabled",
};
const bind: Bind = { name: ":443", address: "", port: 443, ssl: true, ssl_certificate: "/etc/haproxy/site.pem", alpn: "h2,http/1.1" };
const acl: Acl = { acl_name: "is_api", criterion: "path_beg", value: "-i /api" };
const frontend: Frontend = {
  name: "fe_main", mode: "http", default_backend: "be_app", client_timeout: 30000, httplog: true,
  forwardfor: { enabled: "enabled", ifnone: true }, binds: { ":443": bind }, acl_list: [acl],
};
const backend: Backend = {
  name: "be_app", mode: "http", balance: { algorithm: "roundrobin" }, adv_check: "httpchk",
  httpchk_params: { method: "GET", uri: "/health" }, redispatch: { enabled: "enabled", interval: -1 },
  cookie: { name: "SRV", type: "insert", indirect: true, domain: [{ value: ".example.com" }] },
  hash_type: { method: "consistent", function: "sdbm" }, default_server: { check: "enabled", inter: 3000 },
  servers: { web1: server },
};
const defaults: Defaults = { name: "unnamed_defaults_1", mode: "log", connect_timeout: 5000, clitcpka_idle: 60 };
const global: Global = {
  daemon: true, "master-worker": true, hard_stop_after: 30000,
  runtime_apis: [{ address: "/run/haproxy/admin.sock", level: "admin", expose_fd_listeners: true }],
  performance_options: { maxconn: 4096 }, log_send_hostname: { enabled: "enabled" },
  cpu_maps: [{ process: "1/all", cpu_set: "0-3" }], default_path: { type: "config" },
};

// @ts-expect-error unknown fields are not part of the contract
const bad1: Server = { name: "x", address: "y", bogus: 1 };
// @ts-expect-error server toggles are "enabled" | "disabled", not booleans
const bad2: Server = { name: "x", address: "y", check: true };
// @ts-expect-error a frontend has no log mode
const bad3: Frontend = { name: "x", mode: "log" };
// @ts-expect-error a server needs an address
const bad4: Server = { name: "x" };
// @ts-expect-error an ACL needs a criterion
const bad5: Acl = { acl_name: "x" };

type FrontendList = paths["/services/haproxy/configuration/frontends"]["get"]["responses"][200]["content"]["application/json"];
const list: FrontendList = [frontend];
type CreateServerBody = operations["createServerBackend"]["requestBody"] extends { content: { "application/json": infer B } } ? B : never;
const body: CreateServerBody = server;
type ReplaceBackendQuery = NonNullable<operations["replaceBackend"]["parameters"]["query"]>;
const query: ReplaceBackendQuery = { version: 3, force_reload: true, full_section: false };
type BindPath = operations["getBindFrontend"]["parameters"]["path"];
const path: BindPath = { parent_name: "fe_main", name: ":443" };
type AclPath = operations["createAclBackend"]["parameters"]["path"];
const aclPath: AclPath = { parent_name: "be_app", index: 0 };
type AclFilter = NonNullable<operations["getAllAclFrontend"]["parameters"]["query"]>;
const aclFilter: AclFilter = { acl_name: "is_api", transaction_id: "x" };
type ReplaceAcls = operations["replaceAllAclDefaults"]["requestBody"] extends { content: { "application/json": infer B } } ? B : never;
const acls: ReplaceAcls = [acl, { acl_name: "local", criterion: "src" }];
type Accepted = paths["/services/haproxy/configuration/backends/{parent_name}/servers/{name}"]["put"]["responses"][202]["headers"];
const headers: Accepted = { "Configuration-Version": "4", "Reload-ID": "2026-01-01-1" };

export const all = [backend, defaults, global, list, body, query, path, headers, aclPath, aclFilter, acls, bad1, bad2, bad3, bad4, bad5];
TS

echo "== tsc --strict"
(cd "$tmp" && "$bin/tsc" --noEmit --strict --target es2020 --module commonjs use.ts)
echo "check-spec: OK"
