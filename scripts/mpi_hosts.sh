#!/usr/bin/env bash
# Models a small cluster on one Linux machine, for mpirun across hosts: N network namespaces
# charlstm-h1 … charlstm-hN, each a host with its own address (10.77.0.11, .12, …) on one
# bridge (the switch), its own loopback and, through a UTS namespace, its own hostname. Open
# MPI reaches them with a launch agent that enters the namespace instead of ssh, and talks TCP
# between them over the veth links. Needs root and iproute2 (ip, tc).
#
#   scripts/mpi_hosts.sh up N DIR     create the hosts; write DIR/hostfile (one slot each),
#                                     DIR/agent and DIR/mpirun-args (the mpirun options to use)
#   scripts/mpi_hosts.sh shape RATE   limit every host's link to RATE each way (tc tbf), e.g. 1gbit
#   scripts/mpi_hosts.sh unshape      remove the limits
#   scripts/mpi_hosts.sh down         remove the hosts and the bridge
#
# Example (as .ci/run does):
#   scripts/mpi_hosts.sh up 4 /tmp/cluster
#   mpirun $(cat /tmp/cluster/mpirun-args) -np 4 charlstm train corpus.txt --batch 12 …
set -euo pipefail

bridge=charlstm-br
subnet=10.77.0
hosts() { ip netns list | awk '/^charlstm-h[0-9]+/ {print $1}' | sort -V; }

case "${1:-}" in
up)
    count=${2:?how many hosts}; dir=${3:?folder for the hostfile and agent}
    mkdir -p "$dir"
    "$0" down 2>/dev/null || true
    ip link add "$bridge" type bridge
    ip addr add "$subnet.1/24" dev "$bridge"
    ip link set "$bridge" up
    : > "$dir/hostfile"
    for k in $(seq 1 "$count"); do
        host=h$k namespace=charlstm-h$k
        ip netns add "$namespace"
        ip link add "veth-h$k" type veth peer name eth0 netns "$namespace"
        ip link set "veth-h$k" master "$bridge" up
        ip -n "$namespace" addr add "$subnet.$((10 + k))/24" dev eth0
        ip -n "$namespace" link set eth0 up
        ip -n "$namespace" link set lo up
        echo "$host slots=1" >> "$dir/hostfile"
    done
    # Open MPI's rsh launcher runs: AGENT HOST COMMAND…, the command written for a POSIX shell.
    cat > "$dir/agent" <<'AGENT'
#!/bin/sh
while [ "${1#-}" != "$1" ]; do shift; done
host=$1; shift
exec ip netns exec "charlstm-$host" unshare --uts sh -c "hostname $host; $*"
AGENT
    chmod +x "$dir/agent"
    # Only the cluster's links, and only TCP between ranks (no shared memory, as across machines).
    echo "--hostfile $dir/hostfile --mca plm_rsh_agent $dir/agent --mca btl tcp,self --mca btl_tcp_if_include $subnet.0/24 --mca oob_tcp_if_include $subnet.0/24" > "$dir/mpirun-args"
    ;;
shape)
    rate=${2:?rate, e.g. 1gbit or 10gbit}
    for namespace in $(hosts); do
        # A bucket of 1 ms at the rate (at least 64 KB), as a switch port's buffer.
        bits=$(numfmt --from=si "$(echo "${rate%bit}" | tr kmg KMG)")
        tc -n "$namespace" qdisc replace dev eth0 root tbf rate "$rate" burst "$(( bits / 8000 > 65536 ? bits / 8000 : 65536 ))" latency 5ms
    done
    ;;
unshape)
    for namespace in $(hosts); do tc -n "$namespace" qdisc del dev eth0 root 2>/dev/null || true; done
    ;;
down)
    for namespace in $(hosts); do ip netns delete "$namespace"; done
    ip link delete "$bridge" 2>/dev/null || true
    ;;
*)
    sed -n '2,17p' "$0" >&2
    exit 2
    ;;
esac
