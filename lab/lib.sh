# Shared helpers for lab/demo.sh and lab/bench.sh (sourced, not run).
LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LAB/.." && pwd)
PHONE=192.0.2.10
TRUNK=198.51.100.20
REGISTRAR=198.51.100.30

# The sipwall binary: $SIPWALL, else $CARGO_TARGET_DIR or target/, built if missing.
find_sipwall() {
    if [ -n "${SIPWALL:-}" ]; then echo "$SIPWALL"; return; fi
    local t=${CARGO_TARGET_DIR:-$ROOT/target}
    if [ ! -x "$t/debug/sipwall" ]; then
        (cd "$ROOT" && cargo build -q -p sipwall) >&2
    fi
    echo "$t/debug/sipwall"
}

nsx() { local ns=$1; shift; ip netns exec "$P-$ns" "$@"; }
# bgx NS CMD...: in the background, in this shell, so that $! is the command's own PID
# (ip netns exec execs it). Redirect after the call: bgx out sipp ... >log 2>&1
bgx() { local ns=$1; shift; ip netns exec "$P-$ns" "$@" & }

# Media captures for the SIPp scenarios, in WORK/pcap (run SIPp with cwd WORK).
make_pcaps() {
    mkdir -p "$WORK/pcap"
    python3 "$LAB/mkpcap.py" "$WORK/pcap"
    ln -sf /usr/share/sip-tester/*.pcap "$WORK/pcap/" 2>/dev/null || true
}

# counter NS NAME 'nft match': count packets arriving in an end namespace.
counter() {
    nsx "$1" nft -f - <<NFT
add table ip lab
add chain ip lab input { type filter hook input priority -300; }
add counter ip lab $2
add rule ip lab input $3 counter name $2
NFT
}
count() { nsx "$1" nft list counter ip lab "$2" | awk '/packets/ {for (i=1;i<=NF;i++) if ($i=="packets") print $(i+1)}'; }

# start_sipwall CONFIG [extra args...]: sipwall run in PREFIX-fw; sets SW_PID, SW_CTL.
start_sipwall() {
    local cfg=$1; shift
    SW_CTL=$WORK/control.sock
    rm -f "$SW_CTL"
    # Not through a function or subshell: SW_PID must be sipwall's own PID (ip netns exec
    # execs it), so that SIGTERM reaches sipwall and `wait` waits for it.
    ip netns exec "$P-fw" "$SIPWALL_BIN" run --config "$cfg" --queue 7 --control "$SW_CTL" \
        --metrics 127.0.0.1:9157 --events "$WORK/events.jsonl" "$@" >"$WORK/sipwall.log" 2>&1 &
    SW_PID=$!
    local i
    for i in $(seq 1 150); do
        if [ -S "$SW_CTL" ] && nsx fw iptables-save | grep -q NFQUEUE; then return 0; fi
        if ! kill -0 "$SW_PID" 2>/dev/null; then
            echo "sipwall run exited during start-up:" >&2; cat "$WORK/sipwall.log" >&2; return 1
        fi
        sleep 0.1
    done
    echo "sipwall run not ready after 15 s:" >&2; tail -20 "$WORK/sipwall.log" >&2; return 1
}

stop_sipwall() {
    if [ -n "${SW_PID:-}" ] && kill -0 "$SW_PID" 2>/dev/null; then
        kill -TERM "$SW_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$SW_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SW_PID" 2>/dev/null || true
        wait "$SW_PID" 2>/dev/null || true
    fi
    SW_PID=
}

show() { nsx fw "$SIPWALL_BIN" show "$@" --control "$SW_CTL"; }

need_tools() {
    local t
    [ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }
    for t in ip iptables nft sipp python3 "$@"; do
        command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }
    done
}
