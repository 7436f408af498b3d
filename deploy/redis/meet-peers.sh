#!/bin/sh
# Kubernetes postStart hook of each Redis pod (deploy/k8s/redis.yaml).
#
# Redis Cluster nodes find each other by IP address, and a pod gets a new one whenever it
# is re-created. A single re-created pod is fine: it still knows its peers' addresses
# and tells them its new one. But if every pod is re-created at once, nobody knows
# anybody's address any more. So each pod that was in a cluster before asks every peer
# (reached by its stable DNS name) to meet it at its current address (POD_IP).
# A node that was never in a cluster is left alone: the init Job creates the cluster.
set -u
tries=0
until redis-cli ping 2>/dev/null | grep -q PONG; do
  tries=$((tries + 1))
  [ "$tries" -lt 120 ] || exit 0
  sleep 1
done
known=$(redis-cli cluster info | tr -d '\r' | sed -n 's/^cluster_known_nodes://p')
[ "${known:-1}" -gt 1 ] || exit 0
for peer in $REDIS_PEERS; do
  redis-cli -h "$peer" cluster meet "$POD_IP" 6379 >/dev/null 2>&1 || true
done
exit 0
