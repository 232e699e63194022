#!/bin/sh
# Makes the local PostgreSQL usable by the BROM tests (test/src/postgres.ts):
# Debian's cluster(s) running, and TCP logins as postgres with the password
# from BROM_TEST_PG_URL (default postgres). Idempotent: it changes nothing
# when the server already runs and the login already works.
#
# Usage: test/scripts/prepare-postgres.sh     (as root or as the postgres user)
set -eu

url=${BROM_TEST_PG_URL:-postgresql://postgres:postgres@127.0.0.1:5432/postgres}

# postgresql://user:password@host:port/database -> parts
rest=${url#*://}
creds=${rest%%@*}
hostport=${rest#*@}
hostport=${hostport%%/*}
user=${creds%%:*}
password=${creds#*:}
[ "$password" = "$creds" ] && password=
host=${hostport%%:*}
port=${hostport#*:}
[ "$port" = "$hostport" ] && port=5432

case $host in
  127.0.0.1|localhost|::1) ;;
  *)
    echo "prepare-postgres: $host is not local; nothing to prepare." >&2
    exit 0
    ;;
esac

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  echo "prepare-postgres: PostgreSQL is not installed (apt-get install postgresql)." >&2
  exit 1
fi

as_postgres() {
  if [ "$(id -un)" = postgres ]; then
    "$@"
  else
    runuser -u postgres -- "$@"
  fi
}

# Start every cluster that is down ("ver cluster port status owner dir log").
pg_lsclusters --no-header | while read -r version cluster _port status _rest; do
  case $status in
    online*) ;;
    *)
      echo "prepare-postgres: starting cluster $version/$cluster"
      pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start
      ;;
  esac
done

tries=0
until pg_isready -q -h "$host" -p "$port"; do
  tries=$((tries + 1))
  if [ "$tries" -gt 60 ]; then
    echo "prepare-postgres: PostgreSQL does not accept connections on $host:$port after 30 s." >&2
    exit 1
  fi
  sleep 0.5
done

tcp_login() {
  PGPASSWORD=$password PGCONNECT_TIMEOUT=10 psql -X -q -A -t -h "$host" -p "$port" -U "$user" -d postgres -c 'SELECT 1' >/dev/null 2>&1
}

if tcp_login; then
  echo "prepare-postgres: $user@$host:$port ready"
  exit 0
fi

# Over the unix socket, where Debian's default is peer authentication.
escaped=$(printf '%s' "$password" | sed "s/'/''/g")
as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres \
  -c "ALTER USER \"$user\" PASSWORD '$escaped'"

if tcp_login; then
  echo "prepare-postgres: password set; $user@$host:$port ready"
else
  echo "prepare-postgres: TCP login as $user still fails; check pg_hba.conf." >&2
  exit 1
fi
