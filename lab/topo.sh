#!/usr/bin/env bash
# Three-namespace lab topology for sipwall.
#
#   PREFIX-in                  PREFIX-fw                          PREFIX-out
#   phone 192.0.2.10/24 --- eth0 192.0.2.1/24 | eth1 198.51.100.1/24 --- trunk     198.51.100.20/24
#   (eth0, gw .1)                  ip_forward=1                          registrar 198.51.100.30/24
#                                                                        (eth0, gw .1)
#
# The firewall namespace's veths are named eth0 (inside) and eth1 (outside), so
# examples/config/lab.cfg maps them to the zones as-is. Every address, route and sysctl is set
# inside the namespaces; the host's interfaces, rules and routes are never touched.
#
# usage: lab/topo.sh up   [PREFIX]    (default PREFIX: sipwall)
#        lab/topo.sh down [PREFIX]    (idempotent: kills what runs in the namespaces, deletes them)
#        lab/topo.sh status [PREFIX]
set -euo pipefail

cmd=${1:-}
P=${2:-sipwall}
NS_IN="$P-in"
NS_FW="$P-fw"
NS_OUT="$P-out"

die() { echo "topo.sh: $*" >&2; exit 1; }

ns_exists() { ip netns list | awk '{print $1}' | grep -qx -- "$1"; }

ns_sysctl() { ip netns exec "$1" sysctl -qw "$2" >/dev/null; }

down() {
    local ns pids
    for ns in "$NS_IN" "$NS_FW" "$NS_OUT"; do
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
    for ns in "$NS_IN" "$NS_FW" "$NS_OUT"; do
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

    ip -n "$NS_OUT" addr add 198.51.100.20/24 dev eth0
    ip -n "$NS_OUT" addr add 198.51.100.30/24 dev eth0
    ip -n "$NS_OUT" link set eth0 up
    ip -n "$NS_OUT" route add default via 198.51.100.1
    trap - ERR
    echo "topo.sh: $P up: $NS_IN (192.0.2.10) | $NS_FW (eth0 192.0.2.1, eth1 198.51.100.1) | $NS_OUT (198.51.100.20, .30)"
}

status() {
    local ns
    for ns in "$NS_IN" "$NS_FW" "$NS_OUT"; do
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
