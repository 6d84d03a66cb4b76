#!/usr/bin/env bash
# A real call with audio crossing sipwall, and what the operator sees meanwhile.
#
#   sudo lab/demo.sh            (PREFIX=swdemo by default; SIPWALL=/path/to/sipwall optional)
#
# Builds the three-namespace lab (lab/topo.sh), starts `sipwall run` in the firewall namespace
# with examples/config/lab.cfg, places one SIPp call from the inside phone (192.0.2.10) to the
# outside trunk (198.51.100.20) playing 7 s of G.711 audio that the trunk echoes back, prints
# `sipwall show sip calls`, `show pinholes` and `show zone-pair security` while it runs, then
# the packet counts on both sides. Everything is removed on exit.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need_tools
P=${PREFIX:-swdemo}
SIPWALL_BIN=$(find_sipwall)
WORK=$(mktemp -d /tmp/sipwall-demo.XXXXXX)
UAS_PID=
cleanup() {
    set +e
    [ -n "$UAS_PID" ] && kill "$UAS_PID" 2>/dev/null
    stop_sipwall
    "$LAB/topo.sh" down "$P" >/dev/null 2>&1
    cd /
    rm -rf "$WORK"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "topology: $P-in | $P-fw | $P-out"
"$LAB/topo.sh" up "$P"
make_pcaps >/dev/null
counter out rtp_out "ip saddr $PHONE ip daddr $TRUNK udp dport 6000"
counter in rtp_in "ip saddr $TRUNK ip daddr $PHONE udp sport 6000"

step "sipwall run --config examples/config/lab.cfg (in $P-fw)"
start_sipwall "$ROOT/examples/config/lab.cfg"
echo "running, pid $SW_PID; events in $WORK/events.jsonl"

step "call: phone $PHONE -> trunk $TRUNK (SIPp uac_pcap -> uas -rtp_echo)"
cd "$WORK"
bgx out sipp -sn uas -rtp_echo -i "$TRUNK" -p 5060 -mp 6000 -m 1 -nostdin >"$WORK/uas.log" 2>&1
UAS_PID=$!
sleep 0.5
bgx in sipp -sn uac_pcap -i "$PHONE" -p 5060 -mp 6000 -m 1 -nostdin -timeout 30s \
    "$TRUNK:5060" >"$WORK/uac.log" 2>&1
UAC_PID=$!
sleep 3

step "sipwall show sip calls"
show sip calls || true
step "sipwall show pinholes"
show pinholes || true
step "sipwall show zone-pair security"
show zone-pair security || true

if wait "$UAC_PID"; then result="call completed"; else result="call FAILED (see $WORK/uac.log)"; fi
step "result: $result"
echo "RTP inside -> outside: $(count out rtp_out) packets; echoed outside -> inside: $(count in rtp_in) packets"
echo "events: $(grep -c . "$WORK/events.jsonl" 2>/dev/null || echo 0) lines, by kind:"
grep -o '"event":"[a-z_]*"' "$WORK/events.jsonl" 2>/dev/null | sort | uniq -c || true
step "sipwall show zone-pair security (after the call)"
show zone-pair security || true
