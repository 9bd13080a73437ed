#!/bin/sh
# Writes PgBouncer's user list from PGBOUNCER_USER and PGBOUNCER_PASSWORD
# (the Postgres role the servers log in as) into /run/pgbouncer, then runs
# PgBouncer on /etc/pgbouncer/pgbouncer.ini in the foreground.
set -eu
: "${PGBOUNCER_USER:=postgres}"
: "${PGBOUNCER_PASSWORD:?set PGBOUNCER_PASSWORD}"
mkdir -p /run/pgbouncer
umask 077
printf '"%s" "%s"\n' "$PGBOUNCER_USER" "$PGBOUNCER_PASSWORD" > /run/pgbouncer/userlist.txt
exec pgbouncer /etc/pgbouncer/pgbouncer.ini
