#!/bin/sh
# Throwaway PostgreSQL servers for the tests and benchmarks (DESIGN.md,
# "Tests, benchmarks, CI"). Each server lives in one directory DIR: its data
# in DIR/data, its log in DIR/server.log, its Unix socket in DIR itself, and
# no TCP listener unless a setting asks for one. DIR is mode 0700 and owned
# by the server's user, so only that user and root can reach the socket,
# which is why the socket may use trust authentication.
#
#   pg_server.sh start DIR [setting=value ...]
#       creates and starts a server; prints its libpq conninfo
#       ("host=DIR port=N user=privacy dbname=privacy"), also in DIR/conninfo
#   pg_server.sh standby DIR PRIMARY_DIR [sync|async]
#       a streaming standby of the server in PRIMARY_DIR (pg_basebackup -R);
#       sync: the primary names it in synchronous_standby_names. Prints its
#       conninfo like start
#   pg_server.sh stop DIR       stops the server (fast) and removes DIR
#   pg_server.sh kill DIR       stops it at once (-m immediate), keeps DIR
#   pg_server.sh halt DIR       stops it cleanly (-m fast), keeps DIR
#   pg_server.sh resume DIR     starts a halted or killed server again
#   pg_server.sh promote DIR    promotes a standby to primary
#   pg_server.sh psql DIR [psql args]   psql as the superuser, database privacy
#
# As root, the servers run as the system user privacy-pg (created once);
# otherwise as the calling user. The database privacy belongs to the login
# role privacy (not a superuser); the superuser is postgres.
set -eu

SERVER_USER=privacy-pg
SUPERUSER=postgres
MARKER=.privacy-pg-server
PG_WAIT=30 # seconds pg_ctl and our polls wait

# Settings from the environment must not redirect psql or pg_basebackup.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGSERVICEFILE PGOPTIONS \
    PGTARGETSESSIONATTRS PGPASSFILE PGCONNECT_TIMEOUT PGAPPNAME 2>/dev/null || true

me=pg_server.sh
die() {
    echo "$me: $*" >&2
    exit 1
}

usage() {
    cat >&2 <<EOF
usage: $me start DIR [setting=value ...]
       $me standby DIR PRIMARY_DIR [sync|async]
       $me stop|kill|halt|resume|promote DIR
       $me psql DIR [psql arguments]
EOF
    exit 2
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# The directory of initdb, pg_ctl, postgres, psql and pg_basebackup.
find_bindir() {
    for d in "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/15/bin; do
        if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

ensure_server_installed() {
    if bindir=$(find_bindir); then
        return 0
    fi
    if ! is_root; then
        echo "$me: the PostgreSQL 15 server is not installed" >&2
        die "install it as root: apt-get install -y postgresql-15"
    fi
    echo "$me: installing postgresql-15" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        postgresql-15 >&2
    bindir=$(find_bindir) || die "postgresql-15 installed, but initdb is still missing"
}

# The user the servers run as: privacy-pg as root, created once.
ensure_server_user() {
    if ! is_root; then
        return 0
    fi
    if id -u "$SERVER_USER" >/dev/null 2>&1; then
        return 0
    fi
    # A concurrent start may create it first: check again after a failure.
    useradd --system --no-create-home --shell /usr/sbin/nologin "$SERVER_USER" 2>/dev/null ||
        id -u "$SERVER_USER" >/dev/null 2>&1 ||
        die "cannot create the system user $SERVER_USER"
}

# Runs a command as the server's user, from a directory that user can read.
as_server() {
    if is_root; then
        (cd / && runuser -u "$SERVER_USER" -- "$@")
    else
        "$@"
    fi
}

pg_ctl_() { as_server "$bindir/pg_ctl" "$@"; }

# Makes DIR (if missing) private to the server's user and checks its path:
# the socket path DIR/.s.PGSQL.NNNNN must fit in sun_path (107 bytes), and
# the path goes into conninfo strings unquoted.
prepare_dir() {
    made=
    [ -e "$1" ] || made=$1
    mkdir -p "$1" || die "cannot create $1"
    dir=$(cd "$1" && pwd -P) || die "cannot enter $1"
    bad=
    case $dir in
    *[[:space:]]* | *\'* | *\"* | *\\* | *,*)
        bad="a server directory must not contain spaces, quotes, backslashes or commas" ;;
    esac
    [ "${#dir}" -le 90 ] || bad="path too long for a Unix socket (at most 90 bytes)"
    if [ -n "$bad" ]; then
        [ -z "$made" ] || rmdir "$made" 2>/dev/null || true
        die "$dir: $bad"
    fi
    if [ -e "$dir/data" ]; then
        die "$dir already holds a server (stop it first: $me stop $dir)"
    fi
    if [ -n "$(ls -A "$dir")" ] && [ ! -e "$dir/$MARKER" ]; then
        die "$dir is not empty"
    fi
    : >"$dir/$MARKER"
    chmod 0700 "$dir"
    if is_root; then
        chown "$SERVER_USER" "$dir"
        as_server test -w "$dir" ||
            die "$dir: $SERVER_USER cannot reach it (a parent directory is not searchable)"
    fi
}

# A port no server is listening on, by TCP or by a socket file in DIR.
free_port() {
    i=0
    while [ "$i" -lt 50 ]; do
        i=$((i + 1))
        n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' \n')
        p=$((20000 + n % 40001))
        [ -e "$dir/.s.PGSQL.$p" ] && continue
        if command -v ss >/dev/null 2>&1 && [ -n "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; then
            continue
        fi
        if command -v ss >/dev/null 2>&1 && ss -Hlx 2>/dev/null | grep -q "\.s\.PGSQL\.${p}[[:space:]]"; then
            continue
        fi
        echo "$p"
        return 0
    done
    die "no free port found"
}

# setting = 'value', the value quoted for postgresql.conf.
conf_line() {
    printf "%s = '%s'\n" "$1" "$(printf '%s' "$2" | sed "s/'/''/g")"
}

log_tail() {
    if [ -f "$1/server.log" ]; then
        echo "$me: last lines of $1/server.log:" >&2
        tail -n 40 "$1/server.log" >&2
    fi
}

# Prints the log, stops a server left half-started, and fails.
fail_start() {
    echo "$me: $2" >&2
    log_tail "$1"
    if [ -f "$1/data/postmaster.pid" ]; then
        pg_ctl_ -D "$1/data" stop -m immediate -w -t 10 >/dev/null 2>&1 || true
    fi
    exit 1
}

port_of() {
    [ -f "$1/port" ] || die "$1: no server here (no $1/port)"
    cat "$1/port"
}

# psql as the superuser on the server in DIR: -A -t output, stops on errors.
sql() {
    d=$1
    db=$2
    shift 2
    as_server "$bindir/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$d" -p "$(port_of "$d")" \
        -U "$SUPERUSER" -d "$db" "$@"
}

# Polls an SQL query on the server in DIR until it prints "t".
wait_sql() {
    d=$1
    query=$2
    i=0
    while [ "$i" -lt $((PG_WAIT * 10)) ]; do
        if [ "$(sql "$d" postgres -c "$query" 2>/dev/null || true)" = t ]; then
            return 0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

write_conninfo() {
    echo "host=$1 port=$2 user=privacy dbname=privacy" >"$1/conninfo"
    cat "$1/conninfo"
}

cmd_start() {
    [ $# -ge 1 ] || usage
    ensure_server_installed
    ensure_server_user
    prepare_dir "$1"
    shift
    # Settings given on the command line, checked before anything is made.
    listen=
    port=
    for kv in "$@"; do
        case $kv in
        *=*) ;;
        *) die "$kv: settings are given as name=value" ;;
        esac
        name=${kv%%=*}
        case $name in
        '' | *[!A-Za-z0-9_.]*) die "$name: not a setting name" ;;
        port) port=${kv#*=} ;;
        listen_addresses) listen=${kv#*=} ;;
        unix_socket_directories) die "unix_socket_directories is always $dir" ;;
        esac
    done
    [ -n "$port" ] || port=$(free_port)
    echo "$port" >"$dir/port"

    as_server "$bindir/initdb" -D "$dir/data" -U "$SUPERUSER" --auth-local=trust \
        --auth-host=reject -E UTF8 --locale=C --no-sync --no-instructions \
        >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        die "initdb failed"
    }
    # Only the socket in DIR, and only for a user who can enter DIR.
    cat >"$dir/data/pg_hba.conf" <<EOF
# Throwaway test server (scripts/pg_server.sh): reachable only through the
# Unix socket in $dir, which only $SERVER_USER and root can enter.
local all all trust
local replication all trust
EOF
    {
        echo
        echo "# scripts/pg_server.sh"
        conf_line listen_addresses ''
        conf_line unix_socket_directories "$dir"
        conf_line port "$port"
        conf_line fsync on
        conf_line max_connections 200
        conf_line wal_level replica
        conf_line max_wal_senders 10
        conf_line max_replication_slots 10
        conf_line log_line_prefix '%m [%p] %q%u@%d '
        for kv in "$@"; do
            conf_line "${kv%%=*}" "${kv#*=}"
        done
    } >>"$dir/data/postgresql.conf"
    if [ -n "$listen" ]; then
        echo "$me: note: TCP on $listen, but pg_hba.conf admits only the Unix socket" >&2
    fi

    pg_ctl_ -D "$dir/data" -l "$dir/server.log" -w -t "$PG_WAIT" -s start >/dev/null 2>&1 ||
        fail_start "$dir" "the server did not start"
    sql "$dir" postgres >/dev/null 2>"$dir/setup.err" <<'EOF' || {
CREATE ROLE privacy LOGIN;
CREATE DATABASE privacy OWNER privacy;
GRANT CREATE, CONNECT, TEMPORARY ON DATABASE privacy TO privacy;
EOF
        cat "$dir/setup.err" >&2
        fail_start "$dir" "cannot create the role and database privacy"
    }
    write_conninfo "$dir" "$port"
}

cmd_standby() {
    if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage; fi
    mode=${3:-async}
    case $mode in
    sync | async) ;;
    *) usage ;;
    esac
    ensure_server_installed
    ensure_server_user
    [ -d "$2" ] || die "$2: no primary here"
    primary=$(cd "$2" && pwd -P)
    pport=$(port_of "$primary")
    prepare_dir "$1"
    port=$(free_port)
    echo "$port" >"$dir/port"
    name=standby_$port
    echo "$name" >"$dir/name"

    as_server "$bindir/pg_basebackup" -h "$primary" -p "$pport" -U "$SUPERUSER" -D "$dir/data" \
        -R -X stream -c fast --no-sync -w >"$dir/basebackup.log" 2>&1 || {
        cat "$dir/basebackup.log" >&2
        die "pg_basebackup from $primary failed"
    }
    # Our own values replace what -R wrote and what the primary had: its
    # port, socket, and its synchronous_standby_names (a standby naming
    # standbys would make its commits wait once it is promoted).
    auto=$dir/data/postgresql.auto.conf
    kept=$(grep -v -E '^[[:space:]]*(primary_conninfo|synchronous_standby_names|port|unix_socket_directories|cluster_name|listen_addresses)[[:space:]]*=' "$auto" || true)
    {
        printf '%s\n' "$kept"
        echo "# scripts/pg_server.sh standby of $primary"
        conf_line listen_addresses ''
        conf_line port "$port"
        conf_line unix_socket_directories "$dir"
        conf_line cluster_name "$name"
        conf_line synchronous_standby_names ''
        conf_line primary_conninfo \
            "host=$primary port=$pport user=$SUPERUSER application_name=$name"
    } >"$auto" # in place: the file keeps its owner
    [ -f "$dir/data/standby.signal" ] || die "pg_basebackup -R wrote no standby.signal"

    pg_ctl_ -D "$dir/data" -l "$dir/server.log" -w -t "$PG_WAIT" -s start >/dev/null 2>&1 ||
        fail_start "$dir" "the standby did not start"
    wait_sql "$primary" "SELECT count(*) = 1 FROM pg_stat_replication
                         WHERE application_name = '$name' AND state = 'streaming'" ||
        fail_start "$dir" "the standby does not stream from $primary"
    if [ "$mode" = sync ]; then
        sql "$primary" postgres >/dev/null <<EOF || fail_start "$dir" "cannot make $name synchronous"
ALTER SYSTEM SET synchronous_standby_names = '"$name"';
SELECT pg_reload_conf();
EOF
        wait_sql "$primary" "SELECT count(*) = 1 FROM pg_stat_replication
                             WHERE application_name = '$name' AND sync_state = 'sync'" ||
            fail_start "$dir" "$primary does not report $name as synchronous"
    fi
    write_conninfo "$dir" "$port"
}

# Exit status 3 of pg_ctl status: no server running.
running() {
    [ -f "$1/data/PG_VERSION" ] && pg_ctl_ -D "$1/data" status >/dev/null 2>&1
}

cmd_stop() {
    [ $# -eq 1 ] || usage
    [ -e "$1" ] || return 0
    d=$(cd "$1" && pwd -P)
    if [ ! -e "$d/$MARKER" ]; then
        [ -z "$(ls -A "$d")" ] || die "$d was not made by $me: not removing it"
        rmdir "$d"
        return 0
    fi
    if [ -f "$d/data/postmaster.pid" ]; then
        bindir=$(find_bindir) || die "PostgreSQL is not installed"
        pid=$(head -n 1 "$d/data/postmaster.pid" 2>/dev/null || true)
        pg_ctl_ -D "$d/data" stop -m fast -w -t "$PG_WAIT" >/dev/null 2>&1 ||
            pg_ctl_ -D "$d/data" stop -m immediate -w -t 10 >/dev/null 2>&1 || true
        # A postmaster that ignored both: ours, so end it by its id.
        case $pid in
        '' | *[!0-9]*) ;;
        *) if [ -f "$d/data/postmaster.pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
        fi ;;
        esac
    fi
    rm -rf "$d"
}

need_server_dir() {
    [ $# -eq 1 ] || usage
    [ -f "$1/data/PG_VERSION" ] || die "$1: no server here"
    dir=$(cd "$1" && pwd -P)
    bindir=$(find_bindir) || die "PostgreSQL is not installed"
}

# Stops the server in DIR ($2) with pg_ctl's shutdown mode $1, keeping its data.
stop_with_mode() {
    mode=$1
    shift
    need_server_dir "$@"
    if ! running "$dir"; then
        echo "$me: $dir: not running" >&2
        return 0
    fi
    pg_ctl_ -D "$dir/data" stop -m "$mode" -w -t "$PG_WAIT" -s >/dev/null ||
        die "$dir: pg_ctl stop -m $mode failed"
}

cmd_kill() { stop_with_mode immediate "$@"; }

cmd_halt() { stop_with_mode fast "$@"; }

cmd_resume() {
    need_server_dir "$@"
    if running "$dir"; then
        return 0
    fi
    pg_ctl_ -D "$dir/data" -l "$dir/server.log" -w -t "$PG_WAIT" -s start >/dev/null 2>&1 ||
        fail_start "$dir" "the server did not start again"
}

cmd_promote() {
    need_server_dir "$@"
    pg_ctl_ -D "$dir/data" promote -w -t "$PG_WAIT" -s >/dev/null 2>&1 || {
        log_tail "$dir"
        die "$dir: promotion failed"
    }
}

cmd_psql() {
    [ $# -ge 1 ] || usage
    [ -f "$1/port" ] || die "$1: no server here"
    d=$(cd "$1" && pwd -P)
    shift
    bindir=$(find_bindir) || die "PostgreSQL is not installed"
    as_server "$bindir/psql" -X -h "$d" -p "$(cat "$d/port")" -U "$SUPERUSER" -d privacy "$@"
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case $cmd in
start) cmd_start "$@" ;;
standby) cmd_standby "$@" ;;
stop) cmd_stop "$@" ;;
kill) cmd_kill "$@" ;;
halt) cmd_halt "$@" ;;
resume) cmd_resume "$@" ;;
promote) cmd_promote "$@" ;;
psql) cmd_psql "$@" ;;
*) usage ;;
esac
