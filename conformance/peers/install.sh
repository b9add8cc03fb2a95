#!/usr/bin/env bash
# Installs the npm dependencies of every Node conformance peer
# (conformance/peers/*/package-lock.json) with `npm ci`. A folder whose
# node_modules already matches its lock file is left alone, so running this
# again is cheap. Exits non-zero if any install fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

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

status=0
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
exit "$status"
