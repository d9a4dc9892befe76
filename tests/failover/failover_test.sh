#!/bin/sh
# shellcheck disable=SC2317 # functions run through wait_until and the EXIT trap
# Failover on PostgreSQL, through the library's retries (meson test
# failover-postgres; tests/failover/meson.build).
#
#   failover_test.sh CLIENT [PG_SERVER_SH]
#
# Three runs, side by side, each with servers of its own:
# 1. sync: a primary and a synchronous standby; CLIENT writes through a
#    multi-host storage URI (target_session_attrs=read-write); 2 s into the
#    writes the primary is killed (-m immediate) and the standby promoted.
#    The client must go on writing on the new primary, and every write it
#    saw acknowledged must be there, once, with an audit log that verifies.
# 2. control: the same with an asynchronous standby that is stopped a second
#    before the primary dies, then started again and promoted. The writes
#    acknowledged in that second are lost, and the check must say so
#    (exit 1): the check can fail.
# 3. sync-cancel: every commit waits for a standby that never comes
#    (synchronous_standby_names = 'nobody'); statement_timeout_ms=1000 must
#    end the wait, and the write must return PRIVACY_E_STORAGE (committed on
#    the primary only), never PRIVACY_OK. If the call still waits after 4 s,
#    the driver cancels the wait from the server (pg_cancel_backend) to see
#    what the call returns then, and the run fails.
#
# Every step has a timeout; every server is stopped however the test ends.
set -eu

[ $# -ge 1 ] || {
    echo "usage: $0 CLIENT [PG_SERVER_SH]" >&2
    exit 2
}
client=$1
pgs=${2:-$(cd "$(dirname "$0")/../.." && pwd)/scripts/pg_server.sh}
WRITE_SECONDS=5  # how long each client writes
KILL_AFTER=2     # seconds after its first acknowledged write the primary dies
PAUSE_MS=2       # between the client's subjects, to bound the check's work
CLIENT_LIMIT=$((WRITE_SECONDS + 45)) # writing, plus a retry budget, plus close
CANCEL_WAIT=4    # seconds the sync-cancel write may take

# Short paths: a server's socket path must fit in 107 bytes. The servers'
# user (privacy-pg, as root) must be able to pass through.
base=$(mktemp -d "${TMPDIR:-/tmp}/prv-fo-XXXXXX")
chmod 0711 "$base"
runs=

cleanup() {
    for p in $runs; do
        kill -TERM "$p" 2>/dev/null || true
    done
    # The clients run under timeout(1), which passes TERM on and kills
    # after 5 s.
    for f in "$base"/*.pid; do
        if [ -f "$f" ]; then
            kill -TERM "$(cat "$f")" 2>/dev/null || true
        fi
    done
    for d in "$base"/*; do
        if [ -e "$d/.privacy-pg-server" ]; then
            timeout -k 5 40 "$pgs" stop "$d" >/dev/null 2>&1 || true
        fi
    done
    rm -rf "$base"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ms() { echo $(($(date +%s%N) / 1000000)); }
secs_since() { awk -v a="$1" -v b="$(ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

# Subjects acknowledged so far in an ack file.
subjects() { grep -c '^S ' "$1" 2>/dev/null || true; }
acked_at_least() { [ "$(subjects "$1")" -ge "$2" ]; }

# wait_until SECONDS CMD...: polls CMD until it succeeds.
wait_until() {
    limit=$(($(ms) + $1 * 1000))
    shift
    until "$@"; do
        [ "$(ms)" -lt "$limit" ] || return 1
        sleep 0.05
    done
}

pg() { timeout -k 5 60 "$pgs" "$@"; }
q() { pg psql "$1" -A -t -c "$2" 2>/dev/null; }

# The standby has replayed the primary's WAL up to LSN.
replayed() { [ "$(q "$1" "SELECT pg_last_wal_replay_lsn() >= '$2'::pg_lsn")" = t ]; }

# Every commit on the server in DIR now waits for a standby: a probe write
# (a temporary table) is seen waiting, then cancelled. statement_timeout
# would not do: it does not cover a commit's wait for a standby.
commits_wait() {
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        timeout -k 1 3 "$pgs" psql "$1" -q -c "SET application_name = 'failover_probe'" \
            -c "CREATE TEMPORARY TABLE failover_probe (x int)" >/dev/null 2>&1 &
        probe=$!
        if wait_until 1 probe_waits "$1"; then
            q "$1" "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
                    WHERE application_name = 'failover_probe'" >/dev/null
            wait "$probe" || true
            return 0
        fi
        wait "$probe" || true
    done
    return 1
}
probe_waits() {
    [ "$(q "$1" "SELECT count(*) > 0 FROM pg_stat_activity
                 WHERE application_name = 'failover_probe' AND wait_event = 'SyncRep'")" = t ]
}

# Prints what a failed run left: the client's errors, the servers' logs.
show_logs() {
    for f in "$@"; do
        if [ -s "$f" ]; then
            echo "---- last lines of $f"
            tail -n 25 "$f"
        fi
    done
}

# failed RUN MESSAGE: the run's result, and its end.
failed() {
    echo "FAIL: $2"
    echo "FAILED: $2" >"$base/$1.result"
    return 1
}

# A line of the run's log, with the seconds since the run started.
step() { echo "$(secs_since "$t0") s: $*"; }

stop_servers() {
    for d in "$@"; do
        pg stop "$d" >/dev/null || true
    done
}

# ---- 1 and 2: failover, with a synchronous standby and without ----
# run_failover sync|control
run_failover() {
    run=$1
    t0=$(ms)
    P=$base/${run}p
    S=$base/${run}s
    if [ "$run" = sync ]; then mode=sync; else mode=async; fi
    pg start "$P" >/dev/null || failed "$run" "the primary did not start" || return 1
    pg standby "$S" "$P" "$mode" >/dev/null ||
        failed "$run" "the $mode standby did not start" || return 1
    step "primary and $mode standby up"
    uri="pg:host=$P,$S port=$(cat "$P/port"),$(cat "$S/port") user=privacy dbname=privacy"
    uri="$uri target_session_attrs=read-write connect_timeout=2 retry_budget_ms=20000"
    ack=$base/$run.ack
    : >"$ack"
    timeout -k 5 "$CLIENT_LIMIT" "$client" write "$uri" "$ack" "$WRITE_SECONDS" "$PAUSE_MS" \
        >"$base/$run.out" 2>"$base/$run.err" &
    cpid=$!
    echo "$cpid" >"$base/$run.pid"
    if ! wait_until 15 acked_at_least "$ack" 20; then
        show_logs "$base/$run.err" "$P/server.log"
        failed "$run" "the client acknowledged too little in 15 s" || return 1
    fi
    step "the client writes"
    if [ "$run" = sync ]; then
        sleep "$KILL_AFTER"
    else
        # The standby has everything up to here (the store and its keys),
        # then stops: what the primary acknowledges from now on is lost.
        lsn=$(q "$P" "SELECT pg_current_wal_lsn()") ||
            failed "$run" "cannot read the primary's WAL position" || return 1
        wait_until 15 replayed "$S" "$lsn" ||
            failed "$run" "the standby does not catch up" || return 1
        pg halt "$S" || failed "$run" "cannot stop the standby" || return 1
        n_halt=$(subjects "$ack")
        step "standby stopped after $n_halt subjects"
        sleep 1
    fi
    pg kill "$P" || failed "$run" "cannot kill the primary" || return 1
    n_kill=$(subjects "$ack")
    tk=$(ms)
    step "primary killed after $n_kill subjects"
    if [ "$run" = control ]; then
        pg resume "$S" || failed "$run" "the standby did not start again" || return 1
    fi
    pg promote "$S" || failed "$run" "cannot promote the standby" || return 1
    promote_ms=$(($(ms) - tk))
    step "standby promoted"
    crc=0
    wait "$cpid" || crc=$?
    rm -f "$base/$run.pid"
    n_end=$(subjects "$ack")
    step "the client ended"
    echo "client: $(cat "$base/$run.out" 2>/dev/null) (exit $crc)"
    echo "client: $n_kill subjects acknowledged when the primary died; the new primary took $promote_ms ms"
    if [ -s "$base/$run.err" ]; then
        echo "client's messages:"
        sed 's/^/  /' "$base/$run.err" | head -n 20
    fi
    chk=0
    timeout -k 5 60 "$client" check "$(cat "$S/conninfo")" "$ack" >"$base/$run.check" \
        2>"$base/$run.checkerr" || chk=$?
    cat "$base/$run.check"
    step "checked"
    stop_servers "$P" "$S"
    took=$(secs_since "$t0")
    if [ "$run" = sync ]; then
        if [ "$crc" -ne 0 ]; then
            show_logs "$base/$run.err"
            failed "$run" "the client exited with $crc ($took s)" || return 1
        fi
        if [ "$n_end" -le "$n_kill" ]; then
            failed "$run" "no write acknowledged after the failover ($took s)" || return 1
        fi
        if [ "$chk" -ne 0 ]; then
            show_logs "$base/$run.checkerr"
            failed "$run" "the check exited with $chk: $(cat "$base/$run.check") ($took s)" ||
                return 1
        fi
        # Within the retry budget the library must hide the failover: a
        # call that failed instead of waiting is a failure of the run.
        errs=$(grep -c ': PRIVACY_E_' "$base/$run.err" || true)
        if [ "$errs" -gt 0 ]; then
            failed "$run" "$errs calls failed at the failover instead of waiting, the first: $(grep -m 1 ': PRIVACY_E_' "$base/$run.err" | sed 's/^ *[0-9.]* s: //') ($took s)" ||
                return 1
        fi
        echo "PASSED: $n_end subjects acknowledged, $((n_end - n_kill)) after the failover; all there, once, audit log verified ($took s)" >"$base/$run.result"
        return 0
    fi
    lost=$(sed -n 's/.* missing=\([0-9]*\) .*/\1/p' "$base/$run.check")
    if [ "$chk" -ne 1 ] || [ "${lost:-0}" -lt 1 ]; then
        show_logs "$base/$run.checkerr" "$base/$run.err"
        failed "$run" "the check exited with $chk and found ${lost:-no} lost subjects; it must find the lost writes and exit 1 ($took s)" ||
            return 1
    fi
    echo "PASSED: the check failed as it must: $lost of $n_end acknowledged subjects lost ($((n_kill - n_halt)) acknowledged after the standby stopped) ($took s)" >"$base/$run.result"
}

# ---- 3. sync-cancel ----
run_cancel() {
    run=cancel
    t0=$(ms)
    C=$base/xp
    pg start "$C" >/dev/null || failed "$run" "the server did not start" || return 1
    # Warnings silenced for the session (as a role setting or PGOPTIONS
    # could): the library must still hear the cancelled wait.
    uri="pg:$(cat "$C/conninfo") statement_timeout_ms=1000 retry_budget_ms=5000 options='-c client_min_messages=error'"
    timeout -k 5 60 "$client" cancel "$uri" "$base/ready" "$base/go" >"$base/$run.out" \
        2>"$base/$run.err" &
    cpid=$!
    echo "$cpid" >"$base/$run.pid"
    if ! wait_until 20 test -e "$base/ready"; then
        show_logs "$base/$run.err"
        failed "$run" "the client did not open the store" || return 1
    fi
    if ! q "$C" "ALTER SYSTEM SET synchronous_standby_names = 'nobody'" >/dev/null ||
        ! q "$C" "SELECT pg_reload_conf()" >/dev/null; then
        failed "$run" "cannot set synchronous_standby_names" || return 1
    fi
    commits_wait "$C" || failed "$run" "commits do not wait for the standby" || return 1
    touch "$base/go"
    returned() { grep -q '^cancel: privacy_subject_create returned' "$base/$run.out"; }
    hung=0
    if ! wait_until "$CANCEL_WAIT" returned; then
        hung=1
        q "$C" "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
                WHERE datname = 'privacy' AND wait_event = 'SyncRep'" >/dev/null || true
        wait_until 10 returned || true
    fi
    # Commits stop waiting, so that privacy_close can end the chain.
    q "$C" "ALTER SYSTEM RESET synchronous_standby_names" >/dev/null || true
    q "$C" "SELECT pg_reload_conf()" >/dev/null || true
    crc=0
    wait "$cpid" || crc=$?
    rm -f "$base/$run.pid"
    cat "$base/$run.out"
    stop_servers "$C"
    took=$(secs_since "$t0")
    got=$(sed -n 's/^cancel: privacy_subject_create returned \([A-Z_]*\).* after \([0-9]*\) ms.*/\1 after \2 ms/p' "$base/$run.out")
    if [ "$hung" -eq 1 ]; then
        show_logs "$base/$run.err"
        failed "$run" "statement_timeout_ms=1000 did not end COMMIT's wait for the standby: still waiting after $CANCEL_WAIT s; cancelled from the server, the call returned ${got:-nothing} ($took s)" ||
            return 1
    fi
    if [ "$crc" -ne 0 ]; then
        show_logs "$base/$run.err"
        failed "$run" "${got:-no result} (exit $crc); expected PRIVACY_E_STORAGE after ~1000 ms ($took s)" ||
            return 1
    fi
    echo "PASSED: $got ($took s)" >"$base/$run.result"
}

start=$(ms)
for run in sync control cancel; do
    echo "FAILED: ended without a result" >"$base/$run.result"
    case $run in
    cancel) run_cancel >"$base/$run.log" 2>&1 & ;;
    *) run_failover "$run" >"$base/$run.log" 2>&1 & ;;
    esac
    runs="$runs $!"
done
for p in $runs; do
    wait "$p" || true
done
runs=
status=0
for run in sync control cancel; do
    echo "==== $run run"
    cat "$base/$run.log"
done
for run in sync control cancel; do
    result=$(cat "$base/$run.result")
    case $result in
    PASSED*) ;;
    *) status=1 ;;
    esac
    echo "failover-postgres: $run: $result"
done
echo "failover-postgres: $([ "$status" -eq 0 ] && echo passed || echo FAILED) in $(secs_since "$start") s"
exit "$status"
