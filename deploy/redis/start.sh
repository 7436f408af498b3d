#!/bin/sh
# Starts one Redis Cluster node (compose and Kubernetes run this as the container command).
#
# Mail lives only in memory, so a node that restarts comes back empty. A master that came
# back within cluster-node-timeout (5 s), before its replica had been promoted, would
# still own its slots, empty, and its replica would then copy that emptiness: every
# mailbox of the shard lost. So a node that has been in a cluster before (its nodes.conf
# lists other nodes) waits REDIS_RESTART_DELAY_SEC (default 20) first: long enough for
# the replica to take over; the old master then rejoins as the new master's replica and
# copies the mail back.
set -eu
known=$(grep -v '^vars' /data/nodes.conf 2>/dev/null | grep -c . || true)
if [ "${known:-0}" -gt 1 ]; then
  delay="${REDIS_RESTART_DELAY_SEC:-20}"
  echo "redis-start: this node was in a cluster; waiting ${delay}s so its replica can take over"
  sleep "$delay"
fi
# The image's entrypoint drops root for the redis user when started as root (compose);
# under Kubernetes the pod already runs as that user.
exec docker-entrypoint.sh redis-server /etc/komrade/redis.conf
