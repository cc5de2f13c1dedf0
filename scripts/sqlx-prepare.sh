#!/usr/bin/env bash
# The offline data of the services' checked SQL (sqlx::query! and friends).
#
#   scripts/sqlx-prepare.sh [service...]           # after changing a statement or a migration
#   scripts/sqlx-prepare.sh --check [service...]   # CI: fail if the committed data is stale
#
# Without names: every service (a crate with migrations/) whose code uses the query macros.
#
# Builds read crates/<service>/.sqlx (SQLX_OFFLINE=true in .cargo/config.toml), so compiling needs
# no database. To write that data, each service's statements are described by Postgres against a
# scratch database holding exactly that service's schema (the shared migrations, then its own):
# the services' schemas differ (orders' `tickets` table is a replica, not tickets' table), so one
# database for the whole workspace (`cargo sqlx prepare --workspace`) could not describe them all.
# The server is SQLX_PREPARE_SERVER (default: the local one), which must let the role create
# databases and the `unaccent` extension.
set -euo pipefail
cd "$(dirname "$0")/.."

SERVER=${SQLX_PREPARE_SERVER:-postgres://postgres@127.0.0.1:5432}
check=false
if [[ "${1:-}" == "--check" ]]; then
  check=true
  shift
fi
SERVICES=("$@")
if ((${#SERVICES[@]} == 0)); then
  for dir in crates/*/migrations; do
    service=$(basename "$(dirname "$dir")")
    grep -rqE 'sqlx::query[a-z_]*!' "crates/$service/src" && SERVICES+=("$service")
  done
fi

scratch=()
cleanup() {
  for db in "${scratch[@]}"; do
    psql -q "$SERVER/postgres" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
  [[ -n "${tmp:-}" ]] && rm -rf "$tmp"
}
trap cleanup EXIT
tmp=$(mktemp -d)

stale=()
for service in "${SERVICES[@]}"; do
  db="sqlx_prepare_${service}_$$"
  scratch+=("$db")
  psql -q "$SERVER/postgres" -c "CREATE DATABASE \"$db\"" >/dev/null
  # Its schema: the shared migrations, its own, then any schema it creates at run time outside
  # its migrations (crates/<service>/schema/, e.g. the fake payment provider's ledger).
  for migration in $(ls crates/common/migrations/*.sql | sort -V) \
                   $(ls "crates/$service/migrations/"*.sql | sort -V) \
                   $(ls "crates/$service/schema/"*.sql 2>/dev/null | sort -V); do
    psql -q -v ON_ERROR_STOP=1 "$SERVER/$db" -f "$migration" >/dev/null
  done
  out="$tmp/$service"
  mkdir -p "$out"
  # The macros describe their statements only when the crate compiles again.
  touch "crates/$service/src/lib.rs"
  SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$out" DATABASE_URL="$SERVER/$db" \
    cargo check --quiet --package "$service" --lib
  if $check; then
    if ! diff -r -q "crates/$service/.sqlx" "$out" >/dev/null 2>&1; then
      diff -r "crates/$service/.sqlx" "$out" | head -20 || true
      stale+=("$service")
    fi
  else
    rm -rf "crates/$service/.sqlx"
    cp -r "$out" "crates/$service/.sqlx"
    echo "sqlx: crates/$service/.sqlx: $(ls "$out" | wc -l) statements"
  fi
  # The next ordinary build compiles it offline again.
  touch "crates/$service/src/lib.rs"
done

if ((${#stale[@]})); then
  echo "sqlx: the offline data of ${stale[*]} is stale: run scripts/sqlx-prepare.sh and commit crates/*/.sqlx" >&2
  exit 1
fi
$check && echo "sqlx: the offline data of ${SERVICES[*]} matches their statements and schemas"
exit 0
