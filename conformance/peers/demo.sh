#!/usr/bin/env bash
# Runs the eio CLI against a Node engine.io peer on 127.0.0.1: a session that
# connects on polling, upgrades to WebSocket, echoes a text and a binary
# message and disconnects. Usage: demo.sh PATH-TO-EIO-BINARY
set -euo pipefail
eio="${1:?usage: demo.sh PATH-TO-EIO-BINARY}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT

mkfifo "$tmp/stdin"
# The peer exits when its stdin closes; hold it open with sleep.
sleep 120 >"$tmp/stdin" &
node "$here/node6/server.js" --port 0 <"$tmp/stdin" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do
	grep -q LISTENING "$tmp/out" 2>/dev/null && break
	sleep 0.1
done
port="$(awk '/LISTENING/{print $2}' "$tmp/out")"
[ -n "$port" ] || { echo "demo: the peer did not start:" >&2; cat "$tmp/err" >&2; exit 1; }

echo "demo: Node engine.io peer on http://127.0.0.1:$port"
"$eio" connect -send "hello from eio" -send-binary AQIDBA== -expect 2 -linger 500ms "http://127.0.0.1:$port"
