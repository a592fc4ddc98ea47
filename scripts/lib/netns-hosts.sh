# Hosts made of network namespaces, for tests and benchmarks that must prove that nothing
# depends on sharing a host: each "host" is a namespace with its own loopback and one address on
# a private bridge (10.77.0.0/24) that lives in a namespace of its own, so nothing is ever added
# to the caller's network namespace and only these addresses are targeted.
#
#   source scripts/lib/netns-hosts.sh
#   netns_hosts_up TAG 3          # namespaces sl-TAG-h1..h3 at 10.77.0.1..3, bridge sl-TAG-sw
#   netns_run TAG 2 CMD...        # runs CMD in host 2 (in the foreground)
#   netns_kill_host TAG 2         # SIGKILL every process in host 2 (a host crash)
#   netns_hosts_down TAG          # kills what runs in them and deletes every namespace
#
# Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and iproute2; netns_hosts_check says why not.
# TAG must be short ([a-z0-9], at most 8 characters) and unique to the caller (e.g. from $$).

netns_hosts_check() {
  if [ "$(id -u)" != 0 ]; then echo "not root: network namespaces need CAP_SYS_ADMIN"; return 1; fi
  if ! command -v ip >/dev/null 2>&1; then echo "iproute2 ('ip') is not installed"; return 1; fi
  local probe="sl-probe-$$"
  if ! ip netns add "$probe" 2>/dev/null; then echo "'ip netns add' failed here"; return 1; fi
  ip netns del "$probe"
  return 0
}

netns_host_address() { echo "10.77.0.$2"; }

netns_hosts_up() {
  local tag=$1 n=$2 sw="sl-$1-sw" i ns
  ip netns add "$sw" || return 1
  ip -n "$sw" link add br0 type bridge || return 1
  ip -n "$sw" link set br0 up
  ip -n "$sw" link set lo up
  for i in $(seq 1 "$n"); do
    ns="sl-$tag-h$i"
    ip netns add "$ns" || return 1
    # Both ends are created inside the namespaces: nothing appears in the caller's namespace.
    ip link add name eth0 netns "$ns" type veth peer name "p$i" netns "$sw" || return 1
    ip -n "$ns" addr add "10.77.0.$i/24" dev eth0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
    ip -n "$sw" link set "p$i" master br0
    ip -n "$sw" link set "p$i" up
  done
  # The bridge forwards at once (no STP listening delay); wait until host 1 reaches the others.
  for i in $(seq 2 "$n"); do
    local ok=0
    for _ in $(seq 1 50); do
      # A refused connection proves the address answers (nothing listens on port 9). Captured,
      # not piped, so that callers under `set -o pipefail` see grep's verdict.
      local answer
      answer=$(ip netns exec "sl-$tag-h1" bash -c "exec 3<>/dev/tcp/10.77.0.$i/9" 2>&1 || true)
      if [[ $answer == *refused* ]]; then ok=1; break; fi
      sleep 0.1
    done
    [ "$ok" = 1 ] || { echo "netns: host 1 cannot reach 10.77.0.$i"; return 1; }
  done
}

netns_run() {
  local tag=$1 i=$2
  shift 2
  ip netns exec "sl-$tag-h$i" "$@"
}

netns_kill_host() {
  local pids
  pids=$(ip netns pids "sl-$1-h$2" 2>/dev/null)
  [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
  return 0
}

netns_hosts_down() {
  local tag=$1 ns
  for ns in $(ip netns list | awk '{print $1}' | grep "^sl-$tag-"); do
    local pids
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  return 0
}
