#!/usr/bin/env bash
# Three-namespace lab topology for sipwall.
#
#   PREFIX-in                  PREFIX-fw                          PREFIX-out
#   phone 192.0.2.10/24 --- eth0 192.0.2.1/24 | eth1 198.51.100.1/24 --- trunk     198.51.100.20/24
#   (eth0, gw .1)                  ip_forward=1                          registrar 198.51.100.30/24
#                                                                        (eth0, gw .1)
#
# With a third argument `attacker`, the outside segment becomes a bridge (br0 in PREFIX-out,
# holding the trunk's addresses) and a fourth namespace PREFIX-atk joins it:
#   PREFIX-atk  attacker 198.51.100.66/24 (eth0, gw .1)
#
# The firewall namespace's veths are named eth0 (inside) and eth1 (outside), so
# examples/config/lab.cfg maps them to the zones as-is. Every address, route and sysctl is set
# inside the namespaces; the host's interfaces, rules and routes are never touched.
#
# usage: lab/topo.sh up   [PREFIX] [attacker]   (default PREFIX: sipwall)
#        lab/topo.sh down [PREFIX]    (idempotent: kills what runs in the namespaces, deletes them)
#        lab/topo.sh status [PREFIX]
set -euo pipefail

cmd=${1:-}
P=${2:-sipwall}
NS_IN="$P-in"
NS_FW="$P-fw"
NS_OUT="$P-out"
NS_ATK="$P-atk"
WITH_ATK=${3:-}

die() { echo "topo.sh: $*" >&2; exit 1; }

ns_exists() { ip netns list | awk '{print $1}' | grep -qx -- "$1"; }

ns_sysctl() { ip netns exec "$1" sysctl -qw "$2" >/dev/null; }

down() {
    local ns pids
    for ns in "$NS_ATK" "$NS_IN" "$NS_FW" "$NS_OUT"; do
        ns_exists "$ns" || continue
        # Processes started inside the lab namespaces (SIPp, sipwall, receivers): by PID.
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        if [ -n "$pids" ]; then
            # shellcheck disable=SC2086
            kill -TERM $pids 2>/dev/null || true
            sleep 0.3
            pids=$(ip netns pids "$ns" 2>/dev/null || true)
            # shellcheck disable=SC2086
            [ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
        fi
        ip netns del "$ns" 2>/dev/null || true
    done
    # Deleting a namespace destroys its veth ends, and with them the peers.
    return 0
}

up() {
    [ "$(id -u)" = 0 ] || die "must run as root"
    [ -z "$WITH_ATK" ] || [ "$WITH_ATK" = attacker ] || die "unknown option $WITH_ATK"
    for ns in "$NS_IN" "$NS_FW" "$NS_OUT" "$NS_ATK"; do
        ns_exists "$ns" && die "namespace $ns exists already (run: $0 down $P)"
    done
    trap 'echo "topo.sh: setup failed, removing $P" >&2; down' ERR
    ip netns add "$NS_IN"
    ip netns add "$NS_FW"
    ip netns add "$NS_OUT"
    # veth pairs are created inside the namespaces (ip -n), never in the host's.
    ip -n "$NS_FW" link add eth0 type veth peer name eth0 netns "$NS_IN"
    ip -n "$NS_FW" link add eth1 type veth peer name eth0 netns "$NS_OUT"

    local ns
    for ns in "$NS_IN" "$NS_FW" "$NS_OUT"; do
        # IPv4 only: no IPv6 router/neighbour chatter through the firewall.
        ns_sysctl "$ns" net.ipv6.conf.all.disable_ipv6=1
        ns_sysctl "$ns" net.ipv6.conf.default.disable_ipv6=1
        ip -n "$ns" link set lo up
    done

    ip -n "$NS_IN" addr add 192.0.2.10/24 dev eth0
    ip -n "$NS_IN" link set eth0 up
    ip -n "$NS_IN" route add default via 192.0.2.1

    ip -n "$NS_FW" addr add 192.0.2.1/24 dev eth0
    ip -n "$NS_FW" addr add 198.51.100.1/24 dev eth1
    ip -n "$NS_FW" link set eth0 up
    ip -n "$NS_FW" link set eth1 up
    ns_sysctl "$NS_FW" net.ipv4.ip_forward=1

    local out_dev=eth0
    if [ -n "$WITH_ATK" ]; then
        # The outside segment as a bridge: the firewall's link and the attacker's on br0.
        ip netns add "$NS_ATK"
        ns_sysctl "$NS_ATK" net.ipv6.conf.all.disable_ipv6=1
        ns_sysctl "$NS_ATK" net.ipv6.conf.default.disable_ipv6=1
        ip -n "$NS_ATK" link set lo up
        ip -n "$NS_OUT" link add br0 type bridge forward_delay 0 stp_state 0
        ip -n "$NS_OUT" link set eth0 master br0
        ip -n "$NS_OUT" link add atk0 type veth peer name eth0 netns "$NS_ATK"
        ip -n "$NS_OUT" link set atk0 master br0
        ip -n "$NS_OUT" link set atk0 up
        ip -n "$NS_OUT" link set eth0 up
        out_dev=br0
        ip -n "$NS_ATK" addr add 198.51.100.66/24 dev eth0
        ip -n "$NS_ATK" link set eth0 up
        ip -n "$NS_ATK" route add default via 198.51.100.1
    fi
    ip -n "$NS_OUT" addr add 198.51.100.20/24 dev $out_dev
    ip -n "$NS_OUT" addr add 198.51.100.30/24 dev $out_dev
    ip -n "$NS_OUT" link set $out_dev up
    ip -n "$NS_OUT" route add default via 198.51.100.1
    trap - ERR
    echo "topo.sh: $P up: $NS_IN (192.0.2.10) | $NS_FW (eth0 192.0.2.1, eth1 198.51.100.1) | $NS_OUT (198.51.100.20, .30)${WITH_ATK:+ | $NS_ATK (198.51.100.66 on br0)}"
}

status() {
    local ns
    for ns in "$NS_IN" "$NS_FW" "$NS_OUT" "$NS_ATK"; do
        if ns_exists "$ns"; then
            echo "== $ns"
            ip -n "$ns" -br addr
        else
            echo "== $ns (absent)"
        fi
    done
}

case "$cmd" in
    up) up ;;
    down) down ;;
    status) status ;;
    *) echo "usage: $0 up|down|status [PREFIX]" >&2; exit 2 ;;
esac
