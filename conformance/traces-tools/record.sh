#!/usr/bin/env bash
# Re-records the conformance corpus (conformance/testdata/traces/*.har):
# for each scenario it starts a peer (a Node engine.io peer, or the
# python-engineio one), starts `eio proxy` in front of it, runs a client
# through the scenario via the proxy, then stops the proxy, which writes
# the HAR. Everything listens on 127.0.0.1. The client is the reference
# engine.io-client (conformance/peers/jsclient/scenario.js; client major 6
# or 3), or python-engineio's client (conformance/peers/pyclient/scenario.py;
# client "py").
#
# Usage: record.sh PATH-TO-EIO-BINARY [SCENARIO-NAME...]
# With names, only those corpus entries are re-recorded.
set -euo pipefail
eio="$(cd "$(dirname "${1:?usage: record.sh PATH-TO-EIO-BINARY [NAME...]}")" && pwd)/$(basename "$1")"
shift
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
peers="$here/../peers"
out="$here/../testdata/traces"
mkdir -p "$out"
tmp="$(mktemp -d)"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# name | client major (6, 3, or py) | peer | peer flags | scenario
corpus='
v4-polling|6|node6||polling
v4-websocket|6|node6||websocket
v4-upgrade|6|node6||upgrade
v4-binary-polling|6|node6||binary-polling
v4-binary-websocket|6|node6||binary-websocket
v4-server-close|6|node6||server-close
v4-server-close-websocket|6|node6||server-close-websocket
v4-client-close|6|node6||client-close
v4-heartbeat|6|node6|--ping-interval 300 --ping-timeout 1000|heartbeat
v4-heartbeat-websocket|6|node6|--ping-interval 300 --ping-timeout 1000|heartbeat-websocket
v4-burst|6|node6||burst
v4-max-payload|6|node6|--max-payload 1000|max-payload
v4-server-burst|6|node6||server-burst
v4-upgrade-heartbeat|6|node6|--ping-interval 300 --ping-timeout 1000|upgrade-heartbeat
v4-upgrade-burst|6|node6||upgrade-burst
v4-upgrade-server-close|6|node6||upgrade-server-close
v3-polling|3|node3||polling
v3-upgrade|3|node3||upgrade
v3-heartbeat|3|node3|--ping-interval 300 --ping-timeout 1000|heartbeat
v3-server-close|3|node3||server-close
v3-websocket|3|node3||websocket
v3-binary-polling|3|node3||binary-polling
v3-binary-websocket|3|node3||binary-websocket
v3-upgrade-heartbeat|3|node3|--ping-interval 300 --ping-timeout 1000|upgrade-heartbeat
v3-client-close|3|node3||client-close
v3-burst|3|node3||burst
v3-max-payload|3|node3|--max-payload 1000|max-payload
v4-python-polling|6|python||polling
v4-python-websocket|6|python||websocket
v4-python-upgrade|6|python||upgrade
v4-python-binary-polling|6|python||binary-polling
v4-python-binary-websocket|6|python||binary-websocket
v4-python-server-close|6|python||server-close
v4-python-client-close|6|python||client-close
v4-python-heartbeat|6|python|--ping-interval 300 --ping-timeout 1000|heartbeat
v4-python-heartbeat-websocket|6|python|--ping-interval 300 --ping-timeout 1000|heartbeat-websocket
v4-python-max-payload|6|python|--max-payload 1000|max-payload
v4-python-upgrade-heartbeat|6|python|--ping-interval 300 --ping-timeout 1000|upgrade-heartbeat
v4-pyclient-polling|py|node6||polling
v4-pyclient-websocket|py|node6||websocket
v4-pyclient-upgrade|py|node6||upgrade
'

# wait_for FILE PATTERN: waits (at most 10 s) for a line matching PATTERN.
wait_for() {
	for _ in $(seq 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

record() {
	local name="$1" major="$2" peer="$3" flags="$4" scenario="$5"
	echo "traces: recording $name"
	# The peer exits when its stdin closes: hold it open with a fifo.
	rm -f "$tmp/stdin" "$tmp/peer.out" "$tmp/peer.err" "$tmp/proxy.out" "$tmp/proxy.err"
	mkfifo "$tmp/stdin"
	sleep 60 >"$tmp/stdin" &
	local holder=$!
	local peer_cmd=(node "$peers/$peer/server.js")
	# Debian's python3-engineio is installed for the system interpreter.
	if [ "$peer" = python ]; then peer_cmd=(/usr/bin/python3 "$peers/python/server.py"); fi
	# shellcheck disable=SC2086
	"${peer_cmd[@]}" --port 0 $flags <"$tmp/stdin" >"$tmp/peer.out" 2>"$tmp/peer.err" &
	local peer_pid=$!
	pids+=("$holder" "$peer_pid")
	wait_for "$tmp/peer.out" LISTENING || { cat "$tmp/peer.err" >&2; return 1; }
	local port
	port="$(awk '/LISTENING/{print $2}' "$tmp/peer.out")"

	"$eio" proxy -listen 127.0.0.1:0 -target "http://127.0.0.1:$port" -o "$out/$name.har" >"$tmp/proxy.out" 2>"$tmp/proxy.err" &
	local proxy_pid=$!
	pids+=("$proxy_pid")
	wait_for "$tmp/proxy.out" LISTENING || { cat "$tmp/proxy.err" >&2; return 1; }
	local addr
	addr="$(awk '/LISTENING/{print $2}' "$tmp/proxy.out")"

	local status=0
	if [ "$major" = py ]; then
		/usr/bin/python3 "$peers/pyclient/scenario.py" --url "http://$addr" "$scenario" || status=$?
	else
		node "$peers/jsclient/scenario.js" --client "$major" --url "http://$addr" "$scenario" || status=$?
	fi
	kill -TERM "$proxy_pid"
	wait "$proxy_pid" || status=$?
	kill -TERM "$peer_pid" 2>/dev/null || true
	wait "$peer_pid" 2>/dev/null || true
	kill "$holder" 2>/dev/null || true
	wait "$holder" 2>/dev/null || true
	if [ "$status" != 0 ]; then
		echo "traces: $name failed (status $status)" >&2
		cat "$tmp/proxy.err" "$tmp/peer.err" >&2
		return 1
	fi
}

status=0
while IFS='|' read -r name major peer flags scenario; do
	[ -n "$name" ] || continue
	if [ $# -gt 0 ]; then
		want=0
		for n in "$@"; do [ "$n" = "$name" ] && want=1; done
		[ "$want" = 1 ] || continue
	fi
	record "$name" "$major" "$peer" "$flags" "$scenario" || status=1
done <<<"$corpus"
exit "$status"
