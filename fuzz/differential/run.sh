#!/usr/bin/env bash
# Differential check of io.weft.engine.protocol.ProtocolParser against a real nats-server.
# Needs /usr/sbin/nats-server (2.9.10 was used), python3, and engine compiled (mvn -pl engine -am compile).
# Usage: fuzz/differential/run.sh [first-seed] [seeds] [cases-per-seed]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
FIRST=${1:-1}; SEEDS=${2:-5}; CASES=${3:-300}
export WORK=$(mktemp -d)
export NATS_PORT=$((15000 + RANDOM % 4000))
printf 'port: %s\nmax_payload: 1024\nmax_control_line: 256\n' "$NATS_PORT" > "$WORK/n.conf"
/usr/sbin/nats-server -c "$WORK/n.conf" > "$WORK/nats.log" 2>&1 &
NATS_PID=$!
trap 'kill $NATS_PID; rm -rf "$WORK"' EXIT
sleep 0.5
(cd "$ROOT" && mvn -B -q -pl engine dependency:build-classpath -Dmdep.outputFile="$WORK/cp" >/dev/null)
export WEFT_CP="$ROOT/engine/target/classes:$(cat "$WORK/cp")"
for ((s = FIRST; s < FIRST + SEEDS; s++)); do
  python3 "$HERE/differential.py" "$s" "$CASES"
done
