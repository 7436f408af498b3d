#!/bin/sh
# One-shot: creates the Redis Cluster (3 masters, 1 replica each) from the nodes given as
# host:port arguments, the first time only. Run on every `docker compose up` and as a
# Kubernetes Job; when a cluster exists already it only reports on it.
set -eu
[ "$#" -eq 6 ] || { echo "usage: create-cluster.sh host:port (6 times)" >&2; exit 2; }

cli() { node=$1; shift; redis-cli -h "${node%:*}" -p "${node##*:}" "$@"; }

for node in "$@"; do
  tries=0
  until cli "$node" ping 2>/dev/null | grep -q PONG; do
    tries=$((tries + 1))
    if [ "$tries" -ge 180 ]; then echo "create-cluster: $node does not answer" >&2; exit 1; fi
    sleep 1
  done
done

for node in "$@"; do
  known=$(cli "$node" cluster info | tr -d '\r' | sed -n 's/^cluster_known_nodes://p')
  if [ "${known:-1}" -gt 1 ]; then
    echo "create-cluster: $node is already in a cluster of $known nodes; nothing to create"
    redis-cli --cluster check "$1" || true
    exit 0
  fi
done

echo "create-cluster: creating a cluster of $# nodes, 1 replica per master"
redis-cli --cluster create "$@" --cluster-replicas 1 --cluster-yes

for node in "$@"; do
  tries=0
  until cli "$node" cluster info | grep -q '^cluster_state:ok'; do
    tries=$((tries + 1))
    if [ "$tries" -ge 120 ]; then echo "create-cluster: $node never reported ok" >&2; exit 1; fi
    sleep 1
  done
done
echo "create-cluster: cluster ok"
