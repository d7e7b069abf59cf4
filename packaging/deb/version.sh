#!/usr/bin/env bash
# The package's version, from git: a tag v1.2.3 gives 1.2.3, commits after
# it 1.2.3+N.gHASH; with no tag 0.0.0~gitYYYYMMDDhhmmss.HASH (the commit's
# time, so versions of later commits sort higher). +dirty for uncommitted
# changes. CALLCTL_VERSION overrides it.
set -euo pipefail
if [ -n "${CALLCTL_VERSION:-}" ]; then echo "$CALLCTL_VERSION"; exit 0; fi
cd "$(dirname "${BASH_SOURCE[0]}")"
dirty=
git diff --quiet HEAD -- 2>/dev/null || dirty=+dirty
if d=$(git describe --tags --match 'v[0-9]*' 2>/dev/null); then
	d=${d#v}
	case $d in
	*-*-g*) d=$(echo "$d" | sed -E 's/-([0-9]+)-g([0-9a-f]+)$/+\1.g\2/') ;;
	esac
	echo "$d$dirty"
else
	echo "0.0.0~git$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S).$(git rev-parse --short=7 HEAD)$dirty"
fi
