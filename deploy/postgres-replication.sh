#!/usr/bin/env bash
# Run once by the postgres image on the primary's first start (docker-entrypoint-initdb.d): lets
# the replica of deploy/compose.yaml stream from it.
set -euo pipefail
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "ALTER ROLE $POSTGRES_USER REPLICATION"
