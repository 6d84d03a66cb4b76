#!/usr/bin/env bash
# Benchmark (not a test): the same SIPp load through (i) the kernel's nf_conntrack_sip helper
# and (ii) sipwall, each in a fresh lab topology.
#
#   sudo lab/bench.sh
#
# Environment: RATES="25 50 100 ..." (calls per second to try, rising), STEP_SECS=5 (load per
# rate), LAT_RATE=20 (cps during the latency capture), RTP_SECS=5, SIPWALL=/path/to/sipwall,
# MODES="kernel sipwall" (which to run).
#
# Measures, per firewall:
#  - the highest call rate with zero failed calls (SIPp built-in uac/uas, 200 ms calls);
#  - RTP packets per second through a media pinhole from outside to the inside phone
#    (lab/udp.py blast -> sink; sipwall with the fast path on and with --no-fastpath);
#  - SIP forwarding latency per message, p50/p99, from a capture on both firewall veths.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
need_tools tshark
RATES=${RATES:-"25 50 100 200 400 800 1600"}
STEP_SECS=${STEP_SECS:-5}
LAT_RATE=${LAT_RATE:-20}
RTP_SECS=${RTP_SECS:-5}
MODES=${MODES:-"kernel sipwall"}
WORK=$(mktemp -d /tmp/sipwall-bench.XXXXXX)
cd "$WORK"   # SIPp finds pcap/ here; background jobs are started directly (their PID is $!)
P=
SW_PID=
BG=()
SIPWALL_BIN=
if [[ " $MODES " == *" sipwall "* ]]; then SIPWALL_BIN=$(find_sipwall); fi

kill_bg() {
    local p
    for p in "${BG[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    BG=()
}
cleanup() {
    set +e
    kill_bg
    stop_sipwall
    [ -n "$P" ] && "$LAB/topo.sh" down "$P" >/dev/null 2>&1
    echo "work directory (logs, captures): $WORK"
}
trap cleanup EXIT
log() { echo "[bench] $*" >&2; }

kernel_firewall() {
    # The conntrack SIP helper on SIP/UDP; media admitted as RELATED by its expectations.
    nsx fw iptables -t raw -A PREROUTING -p udp --dport 5060 -j CT --helper sip
    nsx fw iptables -P FORWARD DROP
    nsx fw iptables -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
    nsx fw iptables -A FORWARD -i eth0 -o eth1 -j ACCEPT
}

# cps_step RATE -> "successful failed"
cps_step() {
    local r=$1 m=$(($1 * STEP_SECS)) csv="$WORK/$P-cps-$1.csv"
    nsx in sipp -sn uac -i "$PHONE" -p 5060 -mp 6000 -r "$r" -m "$m" -d 200 \
        -nostdin -timeout "$((STEP_SECS + 20))s" -trace_stat -stf "$csv" "$TRUNK:5060" \
        >"$WORK/$P-cps-$r.log" 2>&1
    python3 - "$csv" <<'PY'
import sys
rows = [l.rstrip("\n").split(";") for l in open(sys.argv[1]) if l.strip()]
h, v = rows[0], rows[-1]
g = lambda n: v[h.index(n)] if n in h else "0"
print(g("SuccessfulCall(C)"), g("FailedCall(C)"))
PY
}

# max_cps -> highest rate with zero failed calls (0 if none)
max_cps() {
    local best=0 r s f
    bgx out sipp -sn uas -i "$TRUNK" -p 5060 -mp 6000 -nostdin >"$WORK/$P-uas.log" 2>&1
    BG+=($!)
    sleep 0.5
    for r in $RATES; do
        read -r s f < <(cps_step "$r")
        log "$P: $r cps: successful $s failed $f (of $((r * STEP_SECS)))"
        if [ "${f:-1}" = 0 ] && [ "${s:-0}" = "$((r * STEP_SECS))" ]; then best=$r; else break; fi
    done
    kill_bg
    echo "$best"
}

# latency -> "n p50 p99"
latency() {
    local cap="$WORK/$P-lat.pcapng"
    bgx out sipp -sn uas -i "$TRUNK" -p 5060 -mp 6000 -nostdin >"$WORK/$P-uas-lat.log" 2>&1
    BG+=($!)
    # Stops by itself: 3 s to start, 3 s of calls (200 ms each), slack.
    bgx fw tshark -q -i eth0 -i eth1 -f "udp port 5060" -a duration:9 -w "$cap" >/dev/null 2>&1
    local ts=$!
    sleep 3
    nsx in sipp -sn uac -i "$PHONE" -p 5060 -mp 6000 -r "$LAT_RATE" \
        -m "$((LAT_RATE * 3))" -d 200 -nostdin -timeout 20s "$TRUNK:5060" \
        >"$WORK/$P-lat-uac.log" 2>&1
    wait "$ts" 2>/dev/null
    kill_bg
    python3 "$LAB/latency.py" "$cap"
}

# rtp_pps -> packets per second received by the phone through the call's media pinhole
rtp_pps() {
    bgx out sipp -sn uas -i "$TRUNK" -p 5060 -mp 6000 -m 1 -nostdin >"$WORK/$P-uas-rtp.log" 2>&1
    BG+=($!)
    sleep 0.5
    bgx in sipp -sf "$LAB/sipp/uac_long.xml" -set rtpport 7000 \
        -i "$PHONE" -p 5060 -mp 6000 -m 1 -d $(((RTP_SECS + 6) * 1000)) -nostdin \
        -timeout "$((RTP_SECS + 20))s" "$TRUNK:5060" >"$WORK/$P-rtp-uac.log" 2>&1
    BG+=($!)
    sleep 2
    bgx in python3 "$LAB/udp.py" sink --bind "$PHONE:7000" --duration "$RTP_SECS" --wait 3 \
        >"$WORK/$P-sink.txt"
    local sink=$!
    sleep 0.3
    nsx out python3 "$LAB/udp.py" blast --src "$TRUNK:7100" --dst "$PHONE:7000" \
        --duration "$RTP_SECS" >"$WORK/$P-blast.txt"
    wait "$sink"
    log "$P: blaster $(cat "$WORK/$P-blast.txt"); sink $(cat "$WORK/$P-sink.txt")"
    kill_bg
    awk '{print $4}' "$WORK/$P-sink.txt"
}

# The load comes from one SIPp address, like a trunk: lab.cfg's per-source flood protection
# (INVITE 100/s, blocklist) would throttle it, and the kernel helper has none. Compare like with
# like: the same policy without per-source rate limits or blocklist.
BENCH_CFG="$WORK/bench.cfg"
sed -e 's/^ sip rate-limit invite .*/ no sip rate-limit/' -e '/^ sip rate-limit /d' \
    -e 's/^ sip blocklist .*/ no sip blocklist/' -e 's/^ sip max-dialogs .*//' \
    "$ROOT/examples/config/lab.cfg" > "$BENCH_CFG"

declare -A CPS LAT RTP RTPNOFP
for mode in $MODES; do
    P="swb$mode$$"
    P=${P:0:12}
    log "== $mode: topology $P"
    "$LAB/topo.sh" up "$P" >/dev/null
    case $mode in
        kernel) kernel_firewall ;;
        sipwall) start_sipwall "$BENCH_CFG" || exit 1 ;;
        *) log "unknown mode $mode"; exit 2 ;;
    esac
    CPS[$mode]=$(max_cps)
    LAT[$mode]=$(latency)
    RTP[$mode]=$(rtp_pps)
    if [ "$mode" = sipwall ]; then
        stop_sipwall
        start_sipwall "$BENCH_CFG" --no-fastpath || exit 1
        RTPNOFP[$mode]=$(rtp_pps)
        stop_sipwall
    else
        RTPNOFP[$mode]=${RTP[$mode]}
    fi
    "$LAB/topo.sh" down "$P" >/dev/null
    P=
done

ratio() { python3 -c "import sys; a,b=sys.argv[1:]; print('%.2f' % (float(a)/float(b)) if b not in ('','0','-') and a not in ('','-') else '-')" "$1" "$2"; }
k=kernel; s=sipwall
read -r kn k50 k99 <<<"${LAT[$k]:-0 - -}"
read -r sn s50 s99 <<<"${LAT[$s]:-0 - -}"
added() { python3 -c "import sys; a,b=sys.argv[1:]; print('%.0f' % (float(a)-float(b)) if '-' not in (a,b) else '-')" "$1" "$2"; }
echo
printf '%-36s %18s %14s %10s %s\n' "" "kernel sip helper" "sipwall" "ratio" "target"
printf '%-36s %18s %14s %10s %s\n' "max calls/s with 0 failed" "${CPS[$k]:--}" "${CPS[$s]:--}" "$(ratio "${CPS[$s]:--}" "${CPS[$k]:--}")" ">= 1.0"
printf '%-36s %18s %14s %10s %s\n' "RTP pps via pinhole, fast path on" "${RTP[$k]:--}" "${RTP[$s]:--}" "$(ratio "${RTP[$s]:--}" "${RTP[$k]:--}")" ">= 0.95"
printf '%-36s %18s %14s %10s\n' "RTP pps via pinhole, --no-fastpath" "${RTP[$k]:--}" "${RTPNOFP[$s]:--}" "$(ratio "${RTPNOFP[$s]:--}" "${RTP[$k]:--}")"
printf '%-36s %18s %14s\n' "SIP latency through fw p50 (us)" "$k50" "$s50"
printf '%-36s %18s %14s\n' "SIP latency through fw p99 (us)" "$k99" "$s99"
printf '%-36s %18s %14s %10s %s\n' "added by sipwall p50 / p99 (us)" "" "$(added "$s50" "$k50") / $(added "$s99" "$k99")" "" "p99 < 200"
printf '%-36s %18s %14s\n' "SIP messages matched (latency)" "$kn" "$sn"
