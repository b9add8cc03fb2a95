#!/usr/bin/env bash
# Installs every conformance peer, skipping what is already current, so
# running it again is cheap. Exits non-zero if any install fails.
#
#   - Node peers (conformance/peers/*/package-lock.json): `npm ci`, unless
#     node_modules already matches the lock file.
#   - python: Debian's python3-engineio, python3-aiohttp and
#     python3-gevent (for the WSGI server mode) for /usr/bin/python3, with apt-get, unless that
#     interpreter imports them already; also python3-requests and
#     python3-websocket, which python-engineio's client (pyclient/) needs.
#   - goserver: `go build` of its own module into goserver/bin/goserver
#     (git-ignored); go's build cache makes a rebuild cheap.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
status=0

# --- Node peers ---------------------------------------------------------

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "install.sh: node and npm are required (Node.js 20 or newer)" >&2
	exit 1
fi

# up_to_date DIR: npm writes node_modules/.package-lock.json on install; when
# it lists the same packages as package-lock.json, the install is current.
up_to_date() {
	local dir="$1"
	[ -f "$dir/node_modules/.package-lock.json" ] || return 1
	node -e '
		const fs = require("fs");
		const [lock, hidden] = process.argv.slice(1).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
		const pkgs = (j) => Object.fromEntries(
			Object.entries(j.packages || {})
				.filter(([k]) => k !== "")
				.map(([k, v]) => [k, [v.version, v.integrity || v.resolved || ""]]));
		const a = pkgs(lock), b = pkgs(hidden);
		const same = Object.keys(a).length === Object.keys(b).length &&
			Object.keys(a).every((k) => b[k] && a[k][0] === b[k][0] && a[k][1] === b[k][1]);
		process.exit(same ? 0 : 1);
	' "$dir/package-lock.json" "$dir/node_modules/.package-lock.json"
}

found=0
for lock in "$here"/*/package-lock.json; do
	[ -e "$lock" ] || continue
	found=1
	dir="$(dirname "$lock")"
	name="$(basename "$dir")"
	if up_to_date "$dir"; then
		echo "peers: $name is up to date"
		continue
	fi
	echo "peers: installing $name"
	if ! (cd "$dir" && npm ci --no-audit --no-fund); then
		echo "peers: npm ci failed in $dir" >&2
		status=1
	fi
done

if [ "$found" = 0 ]; then
	echo "install.sh: no package-lock.json found under $here" >&2
	exit 1
fi

# --- python-engineio (Debian packages) ----------------------------------

# The interpreter Debian's packages install for; conformance/peer uses the
# same one (EIO_PEER_PYTHON overrides both).
python="${EIO_PEER_PYTHON:-/usr/bin/python3}"
python_debs=(python3-engineio python3-aiohttp python3-gevent python3-requests python3-websocket)

python_ready() {
	[ -x "$python" ] && "$python" -c 'import engineio, aiohttp, gevent, requests, websocket' >/dev/null 2>&1
}

if python_ready; then
	echo "peers: python is up to date ($("$python" -c 'import importlib.metadata as m; print("python-engineio", m.version("python-engineio"))'))"
elif command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	echo "peers: installing python (${python_debs[*]})"
	if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${python_debs[@]}"; }; then
		echo "peers: apt-get install ${python_debs[*]} failed" >&2
		status=1
	elif ! python_ready; then
		echo "peers: $python still cannot import engineio, aiohttp, gevent, requests and websocket" >&2
		status=1
	fi
else
	echo "peers: python needs Debian's ${python_debs[*]} for $python (run as root on Debian, or install them)" >&2
	status=1
fi

# --- Go server (its own module) -----------------------------------------

if ! command -v go >/dev/null 2>&1; then
	echo "install.sh: go is required for the goserver peer" >&2
	status=1
else
	echo "peers: building goserver"
	# touch: conformance/peer takes a binary older than its sources for a
	# stale one, and go build leaves an up-to-date binary alone.
	if ! (cd "$here/goserver" && GOFLAGS=-mod=readonly go build -o bin/goserver . && touch bin/goserver); then
		echo "peers: go build failed in $here/goserver" >&2
		status=1
	fi
fi

exit "$status"
