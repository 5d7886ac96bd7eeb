#!/usr/bin/env bash
# The NAT lab: network namespaces joined by veth pairs, with nftables emulating a NAT or firewall.
#
#   scripts/natlab.sh up TYPE [--name NAME] [--loss every5|random20]
#   scripts/natlab.sh down [--name NAME]
#   scripts/natlab.sh types
#
# Topology (NAME defaults to "nl"; namespaces NAME-c, NAME-r, NAME-s1, NAME-s2):
#
#   NAME-c (client)         NAME-r (router: NAT / firewall)            NAME-s1 (server, two addresses)
#   10.0.0.2/24     eth0 --- in0 10.0.0.1/24     out1 198.51.100.1/25 --- eth0 198.51.100.2, .3
#   2001:db8:1::2/64          2001:db8:1::1/64        2001:db8:2::1/64          2001:db8:2::2, ::3
#   (no-NAT types: 203.0.113.66/26, router 203.0.113.65)
#                               NAT public address   out2 198.51.100.129/25 -- NAME-s2 198.51.100.130
#                               203.0.113.1 (lo)          2001:db8:3::1/64        2001:db8:3::2
#                               2001:db8:ff::1 (lo, NAT66)
#
# Only documentation ranges are used (RFC 5737 198.51.100.0/24, 203.0.113.0/24; RFC 3849
# 2001:db8::/32) plus 10.0.0.0/24 inside; nothing leaves the namespaces.
# docs/nat.md explains every type and how it is built. Needs root, iproute2 and nftables.
set -euo pipefail

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

TYPES="open firewall full-cone restricted port-restricted port-restricted-nohairpin \
address-dependent symmetric-random symmetric-sequential udp-blocked ipv6-open ipv6-firewall \
ipv6-nat66 short-timeout"

cmd=${1:-}; shift || true
type=""
if [[ $cmd == up ]]; then type=${1:-}; shift || usage; fi
name=nl
loss=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --name) name=$2; shift 2 ;;
    --loss) loss=$2; shift 2 ;;
    *) usage ;;
  esac
done
C=$name-c R=$name-r S1=$name-s1 S2=$name-s2

down() {
  for ns in "$C" "$R" "$S1" "$S2"; do
    ip netns del "$ns" 2>/dev/null || true
  done
}

nx() { ip netns exec "$@"; }

up() {
  local t=$1
  case " $TYPES " in *" $t "*) ;; *) echo "natlab: unknown type '$t' (types: $TYPES)" >&2; exit 2 ;; esac
  down
  for ns in "$C" "$R" "$S1" "$S2"; do
    ip netns add "$ns"
    nx "$ns" ip link set lo up
    # No duplicate address detection (link-local addresses included, so set it before any
    # interface exists): IPv6 works at once instead of after a second or two.
    nx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  done
  # veth pairs created straight inside the namespaces, so names never clash between labs.
  ip -n "$R" link add in0 type veth peer name eth0 netns "$C"
  ip -n "$R" link add out1 type veth peer name eth0 netns "$S1"
  ip -n "$R" link add out2 type veth peer name eth0 netns "$S2"
  nx "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

  local nat=1
  case $t in open|firewall|udp-blocked|ipv6-open|ipv6-firewall) nat=0 ;; esac
  local cin=10.0.0.2 rin=10.0.0.1 plen=24
  if [[ $nat == 0 ]]; then cin=203.0.113.66 rin=203.0.113.65 plen=26; fi
  ip -n "$C" addr add "$cin/$plen" dev eth0
  ip -n "$C" addr add 2001:db8:1::2/64 dev eth0 nodad
  ip -n "$R" addr add "$rin/$plen" dev in0
  ip -n "$R" addr add 2001:db8:1::1/64 dev in0 nodad
  ip -n "$R" addr add 198.51.100.1/25 dev out1
  ip -n "$R" addr add 2001:db8:2::1/64 dev out1 nodad
  ip -n "$R" addr add 198.51.100.129/25 dev out2
  ip -n "$R" addr add 2001:db8:3::1/64 dev out2 nodad
  ip -n "$R" addr add 203.0.113.1/32 dev lo
  ip -n "$R" addr add 2001:db8:ff::1/128 dev lo
  ip -n "$S1" addr add 198.51.100.2/25 dev eth0
  ip -n "$S1" addr add 198.51.100.3/25 dev eth0
  ip -n "$S1" addr add 2001:db8:2::2/64 dev eth0 nodad
  ip -n "$S1" addr add 2001:db8:2::3/64 dev eth0 nodad
  ip -n "$S2" addr add 198.51.100.130/25 dev eth0
  ip -n "$S2" addr add 2001:db8:3::2/64 dev eth0 nodad
  ip -n "$C" link set eth0 up; ip -n "$S1" link set eth0 up; ip -n "$S2" link set eth0 up
  ip -n "$R" link set in0 up; ip -n "$R" link set out1 up; ip -n "$R" link set out2 up
  ip -n "$C" route add default via "$rin"
  ip -n "$C" -6 route add default via 2001:db8:1::1
  ip -n "$S1" route add default via 198.51.100.1
  ip -n "$S1" -6 route add default via 2001:db8:2::1
  ip -n "$S2" route add default via 198.51.100.129
  ip -n "$S2" -6 route add default via 2001:db8:3::1

  # Permanent neighbour entries on every link: the first IPv6 neighbour solicitation in a fresh
  # namespace can go unanswered for a second, which would time a lab artefact, not the NAT.
  mac() { ip -n "$1" -o link show "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }
  local m_c m_rin m_rout1 m_s1 m_rout2 m_s2
  m_c=$(mac "$C" eth0) m_rin=$(mac "$R" in0) m_rout1=$(mac "$R" out1) m_s1=$(mac "$S1" eth0)
  m_rout2=$(mac "$R" out2) m_s2=$(mac "$S2" eth0)
  neigh() { ip -n "$1" neigh replace "$2" lladdr "$3" dev "$4" nud permanent; }
  neigh "$C" "$rin" "$m_rin" eth0; neigh "$C" 2001:db8:1::1 "$m_rin" eth0
  neigh "$R" "$cin" "$m_c" in0; neigh "$R" 2001:db8:1::2 "$m_c" in0
  for a in 198.51.100.2 198.51.100.3 2001:db8:2::2 2001:db8:2::3; do neigh "$R" "$a" "$m_s1" out1; done
  neigh "$R" 198.51.100.130 "$m_s2" out2; neigh "$R" 2001:db8:3::2 "$m_s2" out2
  neigh "$S1" 198.51.100.1 "$m_rout1" eth0; neigh "$S1" 2001:db8:2::1 "$m_rout1" eth0
  neigh "$S2" 198.51.100.129 "$m_rout2" eth0; neigh "$S2" 2001:db8:3::1 "$m_rout2" eth0

  if [[ $t == short-timeout ]]; then
    # Per-namespace conntrack timeout for unreplied-or-young UDP flows: bindings last ~3 s.
    nx "$R" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3 net.netfilter.nf_conntrack_udp_timeout_stream=3
  fi

  local rules
  rules=$(ruleset "$t")
  if [[ $nat == 1 ]]; then
    # Like a real NAT, keep no state for unsolicited packets to the public address: a conntrack
    # entry left by one would block that public port for a later outbound flow to the same
    # remote address and port (making the NAT look symmetric for 30 s).
    rules+=$'\ntable inet unsolicited { chain filter_in { type filter hook input priority 0; ip daddr 203.0.113.1-203.0.113.3 meta l4proto udp ct state new drop; ip6 daddr 2001:db8:ff::1 meta l4proto udp ct state new drop; } }'
  fi
  if [[ -n $loss ]]; then
    case $loss in
      every5) rules+=$'\ntable inet loss { chain filter_fwd { type filter hook forward priority -10; oifname { "out1", "out2" } meta l4proto udp numgen inc mod 5 == 0 drop; iifname { "out1", "out2" } meta l4proto udp numgen inc mod 5 == 0 drop; } }' ;;
      random20) rules+=$'\ntable inet loss { chain filter_fwd { type filter hook forward priority -10; oifname { "out1", "out2" } meta l4proto udp numgen random mod 100 < 20 drop; iifname { "out1", "out2" } meta l4proto udp numgen random mod 100 < 20 drop; } }' ;;
      *) echo "natlab: unknown loss mode '$loss' (every5, random20)" >&2; exit 2 ;;
    esac
  fi
  # nft 1.0 wants a newline between two closing braces.
  if [[ -n $rules ]]; then printf "%s\n" "$rules" | sed "s/} }/}\n}/g" | nx "$R" nft -f -; fi

  cat <<EOF
type=$t
client_ns=$C
router_ns=$R
server_ns=$S1
server2_ns=$S2
client_ip=$cin
server_primary=198.51.100.2
server_alternate=198.51.100.3
server2=198.51.100.130
client_ip6=2001:db8:1::2
server_primary6=2001:db8:2::2
server_alternate6=2001:db8:2::3
server2_6=2001:db8:3::2
EOF
}

# A port map for nft: "0 : BASE, 1 : BASE+STEP, ..." with N entries.
portmap() {
  local n=$1 base=$2 step=$3 i out=""
  for ((i = 0; i < n; i++)); do out+="$i : $((base + i * step)), "; done
  printf '%s' "${out%, }"
}

# Outbound IPv4 traffic from inside leaves through out1/out2; the NAT's public address is
# 203.0.113.1. Each type sets mapping (postrouting snat), filtering (what new inbound flows are
# let in) and hairpinning (inside -> public address -> inside).
ruleset() {
  local fw_in='iifname { "out1", "out2" } ct state established,related accept
      iifname { "out1", "out2" } ct status dnat accept
      iifname { "out1", "out2" } drop'
  local hairpin_dnat='iifname "in0" ip daddr 203.0.113.1 meta l4proto udp dnat to 10.0.0.2'
  local hairpin_snat='oifname "in0" ip saddr 10.0.0.0/24 ct status dnat snat to 203.0.113.1'
  local eim_snat='oifname { "out1", "out2" } ip saddr 10.0.0.0/24 snat to 203.0.113.1'
  case $1 in
    open | ipv6-open) ;;
    firewall | ipv6-firewall | ipv6-nat66)
      local v6nat=""
      [[ $1 == ipv6-nat66 ]] && v6nat="table ip6 nat66 { chain nat_post { type nat hook postrouting priority srcnat; oifname { \"out1\", \"out2\" } ip6 saddr 2001:db8:1::/64 snat to 2001:db8:ff::1; } }
table ip nat { chain nat_post { type nat hook postrouting priority srcnat; $eim_snat; } }"
      cat <<EOF
table inet fw {
  chain filter_fwd {
    type filter hook forward priority 0; policy accept;
    $fw_in
  }
}
$v6nat
EOF
      ;;
    udp-blocked)
      echo 'table inet fw { chain filter_fwd { type filter hook forward priority 0; meta l4proto udp drop; } }' ;;
    full-cone)
      # 1:1 NAT: every port of the public address forwards to the client (port preserved).
      cat <<EOF
table ip nat {
  chain nat_pre { type nat hook prerouting priority dstnat;
    iifname { "out1", "out2" } ip daddr 203.0.113.1 meta l4proto udp dnat to 10.0.0.2
    $hairpin_dnat
  }
  chain nat_post { type nat hook postrouting priority srcnat;
    $eim_snat
    $hairpin_snat
  }
}
EOF
      ;;
    restricted)
      # Endpoint-independent mapping, address-dependent filtering: a new inbound flow is let in
      # when the client has sent from that public port to that remote address. The set is keyed
      # on (public port . remote address), filled after SNAT, so a second internal port never
      # opens the first one's mapping.
      cat <<EOF
table ip nat {
  set seen { type inet_service . ipv4_addr; flags dynamic, timeout; timeout 120s; }
  chain nat_pre { type nat hook prerouting priority dstnat;
    iifname { "out1", "out2" } ip daddr 203.0.113.1 udp dport . ip saddr @seen dnat to 10.0.0.2
    $hairpin_dnat
  }
  chain nat_post { type nat hook postrouting priority srcnat;
    $eim_snat
    $hairpin_snat
  }
  chain learn_seen { type filter hook postrouting priority srcnat + 10;
    oifname { "out1", "out2" } ip saddr 203.0.113.1 meta l4proto udp update @seen { udp sport . ip daddr }
  }
}
table inet fw { chain filter_fwd { type filter hook forward priority 0; policy accept;
    $fw_in
} }
EOF
      ;;
    port-restricted | short-timeout | port-restricted-nohairpin)
      local hp_d=$hairpin_dnat hp_s=$hairpin_snat
      if [[ $1 == port-restricted-nohairpin ]]; then hp_d=""; hp_s='oifname "in0" ip saddr 10.0.0.0/24 drop'; fi
      # A NAT without hairpinning drops inside-to-public-address traffic.
      local hp_drop=""
      [[ $1 == port-restricted-nohairpin ]] && hp_drop='iifname "in0" ip daddr 203.0.113.1 drop'
      cat <<EOF
table ip nat {
  chain nat_pre { type nat hook prerouting priority dstnat;
    $hp_d
  }
  chain nat_post { type nat hook postrouting priority srcnat;
    $eim_snat
  }
}
table inet fw {
  chain filter_fwd { type filter hook forward priority 0; policy accept;
    $fw_in
  }
  chain filter_in { type filter hook input priority 0; policy accept;
    $hp_drop
  }
}
EOF
      if [[ $1 != port-restricted-nohairpin ]]; then
        echo "table ip hp { chain nat_post { type nat hook postrouting priority srcnat; $hairpin_snat; } }"
      fi
      ;;
    address-dependent)
      # The public address (port preserved) depends on the remote address only: "arbitrary"
      # address pooling (RFC 4787 §4.1), which no port collision can disturb. (A hashed port,
      # `jhash udp sport . ip daddr mod N map {...}`, also works but drops a flow whose hash
      # collides with a live mapping to the same server.)
      cat <<EOF
table ip nat {
  chain nat_post { type nat hook postrouting priority srcnat;
    oifname { "out1", "out2" } ip saddr 10.0.0.0/24 meta l4proto udp snat ip to ip daddr map { 198.51.100.2 : 203.0.113.1, 198.51.100.3 : 203.0.113.2, 198.51.100.130 : 203.0.113.3 }
  }
}
table inet fw { chain filter_fwd { type filter hook forward priority 0; policy accept;
    $fw_in
} }
EOF
      ;;
    symmetric-random)
      cat <<EOF
table ip nat {
  chain nat_post { type nat hook postrouting priority srcnat;
    oifname { "out1", "out2" } ip saddr 10.0.0.0/24 meta l4proto udp snat to 203.0.113.1 : 1024-65535 random
  }
}
table inet fw { chain filter_fwd { type filter hook forward priority 0; policy accept;
    $fw_in
} }
EOF
      ;;
    symmetric-sequential)
      # Each new flow takes the next port, 2 apart (a counter through a map: a port computed
      # straight from numgen would land byte-swapped).
      cat <<EOF
table ip nat {
  chain nat_post { type nat hook postrouting priority srcnat;
    oifname { "out1", "out2" } ip saddr 10.0.0.0/24 meta l4proto udp snat to 203.0.113.1 : numgen inc mod 8192 map { $(portmap 8192 30000 2) }
  }
}
table inet fw { chain filter_fwd { type filter hook forward priority 0; policy accept;
    $fw_in
} }
EOF
      ;;
  esac
}

case $cmd in
  up) [[ -n $type ]] || usage; up "$type" ;;
  down) down ;;
  types) echo "$TYPES" | tr -s ' ' '\n' ;;
  *) usage ;;
esac
