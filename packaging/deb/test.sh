#!/usr/bin/env bash
# The package on a fresh Debian: installs callctl_*.deb into a new Debian
# root (mmdebstrap, as the test bed builds its root; the base is built once
# and cached beside the test bed's), then inside it: the user, the files and
# their modes, callctl config check (a good and a bad file), callctl serve
# against the test-bed Asterisk on 127.0.0.1 until /readyz says ready, the
# admin CLI through the daemon's socket, and a purge that leaves nothing
# behind. Run it under the test bed's lock with Asterisk up (make deb-test).
#   test.sh DEB
#   test.sh --base      only build the cached base root (no lock needed)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../../test/asterisk/env.sh"
deb=
[ "${1:-}" = --base ] || deb=$(realpath "$1")
SUITE=${CALLCTL_DEB_TEST_SUITE:-bookworm}
BASE_PACKAGES=passwd
base=$TESTBED_CACHE/deb-root-$SUITE.tar
start=$SECONDS
fail() { log "deb-test: FAIL: $*"; exit 1; }
check() { # check WHAT COMMAND...: the command must succeed
	local what=$1
	shift
	"$@" || fail "$what"
}

command -v mmdebstrap >/dev/null || {
	$SUDO apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q mmdebstrap >/dev/null
}
stamp="$base.packages"
if [ ! -f "$base" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$BASE_PACKAGES" ]; then
	log "deb-test: building a fresh $SUITE root once ($base)"
	$SUDO mkdir -p "$TESTBED_CACHE"
	tmp=${base%.tar}.tmp.tar # mmdebstrap writes a tarball for a name that ends in .tar
	$SUDO rm -rf "$tmp"
	$SUDO mmdebstrap --quiet --variant=minbase --include="$BASE_PACKAGES" \
		--aptopt='Acquire::Check-Valid-Until "false"' "$SUITE" "$tmp" "$MIRROR"
	$SUDO mv "$tmp" "$base"
	echo "$BASE_PACKAGES" | $SUDO tee "$stamp" >/dev/null
	log "deb-test: $SUITE root built ($((SECONDS - start)) s)"
fi
[ -n "$deb" ] || exit 0

root=$(mktemp -d /tmp/callctl-deb-test.XXXXXX)
serve_pid=
cleanup() {
	if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
	# Whatever still runs inside the root (a daemon of a failed check).
	for p in /proc/[0-9]*; do
		[ "$($SUDO readlink "$p/root" 2>/dev/null)" = "$root" ] && { $SUDO kill -9 "${p#/proc/}" 2>/dev/null || true; }
	done
	mountpoint -q "$root/proc" && $SUDO umount "$root/proc"
	$SUDO rm -rf "$root"
	rm -f "$root.before" "$root.after" "$root.diff"
}
trap cleanup EXIT
$SUDO tar -C "$root" -xf "$base"
$SUDO mount -t proc proc "$root/proc"
in_root() { $SUDO chroot "$root" /usr/bin/env PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
# What the package must leave as it found it: every path (but dpkg's own
# records and logs) and the user and group databases.
snapshot() {
	(cd "$root" && $SUDO find . -xdev \( -path ./proc -o -path ./tmp -o -path ./var/lib/dpkg -o -path ./var/log \
		-o -path ./var/cache -o -name '*-' \) -prune -o -printf '%p %M %u %g\n' | sort)
	for f in passwd group shadow gshadow; do sed "s/^/$f: /" "$root/etc/$f"; done
}

# An Asterisk host: the group asterisk is there before callctl.
in_root groupadd --system asterisk
snapshot >"$root.before"
$SUDO cp "$deb" "$root/tmp/callctl.deb"
log "deb-test: dpkg -i $(basename "$deb")"
check "dpkg -i" in_root dpkg -i /tmp/callctl.deb >/dev/null

# The user, its groups, the files and their modes.
check "system user" in_root getent passwd callctl >/dev/null
uid=$(in_root id -u callctl)
[ "$uid" -lt 1000 ] || fail "callctl's uid $uid is not a system uid"
in_root id -nG callctl | grep -qw asterisk || fail "callctl is not in the group asterisk: $(in_root id -nG callctl)"
[ "$(in_root stat -c '%a %U %G' /var/lib/callctl)" = "700 callctl callctl" ] || fail "/var/lib/callctl: $(in_root stat -c '%a %U %G' /var/lib/callctl)"
[ "$(in_root stat -c '%a %U %G' /etc/callctl/callctl.yaml)" = "640 root callctl" ] || fail "callctl.yaml: $(in_root stat -c '%a %U %G' /etc/callctl/callctl.yaml)"
in_root dpkg-query -W -f='${Conffiles}\n' callctl | grep -q '/etc/callctl/callctl.yaml' || fail "callctl.yaml is not a conffile"
for f in /usr/bin/callctl /usr/lib/systemd/system/callctl.service /usr/share/callctl/asterisk/extensions_callctl.conf \
	/usr/share/callctl/asterisk/manager_callctl.conf /usr/share/callctl/asterisk/ari_callctl.conf; do
	[ -f "$root$f" ] || fail "$f is missing"
done
grep -q '^eventfilter(action(include),name(VarSet)' "$root/usr/share/callctl/asterisk/manager_callctl.conf" || fail "no eventfilter in manager_callctl.conf"
unit=$root/usr/lib/systemd/system/callctl.service
for want in 'After=.*asterisk.service' '^Restart=on-failure' '^NoNewPrivileges=yes' '^ProtectSystem=strict' \
	'^ReadWritePaths=/var/lib/callctl .*/var/spool/asterisk/monitor' '^CPUWeight=10$' '^User=callctl'; do
	grep -q "$want" "$unit" || fail "unit: no $want"
done
# systemd's own check of the unit (on the host, which need not run systemd),
# with ExecStart pointing at the binary in the root.
if command -v systemd-analyze >/dev/null; then
	unitdir=$(mktemp -d)
	sed "s|^ExecStart=/usr/bin/callctl|ExecStart=$root/usr/bin/callctl|" "$unit" >"$unitdir/callctl.service"
	out=$(systemd-analyze verify "$unitdir/callctl.service" 2>&1) && [ -z "$out" ] || { rm -rf "$unitdir"; fail "systemd-analyze verify: $out"; }
	rm -rf "$unitdir"
fi
version=$(dpkg-deb -f "$deb" Version)
[ "$(in_root callctl version)" = "callctl $version" ] || fail "callctl version: $(in_root callctl version), package $version"
grep -q '^data_dir: /var/lib/callctl$' "$root/etc/callctl/callctl.yaml" || fail "callctl.yaml: data_dir"
in_root callctl --help | grep -q '^usage: callctl' || fail "callctl --help"

# config check as the daemon's user, with the packaged file: the test-bed
# Asterisk answers AMI and ARI with the defaults' credentials.
log "deb-test: callctl config check"
out=$(in_root runuser -u callctl -- callctl config check 2>&1) || fail "config check: $out"
echo "$out" | grep -q '^# ami 127.0.0.1:5038: ok (Asterisk' || fail "config check did not reach AMI: $out"
echo "$out" | grep -q "secret: '\*\*\*\*\*'" || fail "config check shows the secret: $out"
printf 'htttp: {}\nlog:\n  level: loud\n' | $SUDO tee "$root/tmp/bad.yaml" >/dev/null
set +e
out=$(in_root callctl config check --config /tmp/bad.yaml 2>&1)
code=$?
set -e
[ $code -eq 1 ] && echo "$out" | grep -q 'unknown key "htttp"' && echo "$out" | grep -q 'log.level "loud"' ||
	fail "config check of a bad file: exit $code: $out"

# Wrong credentials: the test-bed Asterisk's own refusals.
set +e
out=$(in_root env CALLCTL_AMI_SECRET=wrong CALLCTL_ARI_PASSWORD=wrong callctl config check 2>&1)
code=$?
set -e
[ $code -eq 1 ] && echo "$out" | grep -q 'ami: 127.0.0.1:5038 unreachable: ami: login as "callctl" refused: Authentication failed' &&
	echo "$out" | grep -q 'ari: http://127.0.0.1:8088/ari unreachable: ari: asterisk_info: 401' ||
	fail "config check with wrong credentials: exit $code: $out"

# An admin command as root before the daemon ever ran creates the database:
# it must be callctl's, or the daemon could not open it.
check "status before the first start" in_root callctl status >/dev/null
[ "$(in_root stat -c '%U %G %a' /var/lib/callctl/callctl.db)" = "callctl callctl 600" ] ||
	fail "a database made by root's CLI: $(in_root stat -c '%U %G %a' /var/lib/callctl/callctl.db)"

# serve as the unit runs it (its user, its file) until it is ready.
port=18090
while (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port + 1)); done
log "deb-test: callctl serve on 127.0.0.1:$port"
# (setpriv execs: the pid is callctl's, SIGTERM reaches it as systemd's would.)
$SUDO chroot "$root" /usr/bin/env PATH=/usr/sbin:/usr/bin:/sbin:/bin CALLCTL_HTTP_LISTEN=127.0.0.1:$port CALLCTL_LOG_FORMAT=json \
	setpriv --reuid=callctl --regid=callctl --init-groups \
	/usr/bin/callctl serve --config /etc/callctl/callctl.yaml >"$root/tmp/serve.log" 2>&1 &
serve_pid=$!
deadline=$((SECONDS + 30))
until body=$(curl -fsS "http://127.0.0.1:$port/readyz" 2>/dev/null); do
	kill -0 $serve_pid 2>/dev/null || fail "serve exited: $(cat "$root/tmp/serve.log")"
	[ $SECONDS -lt $deadline ] || fail "not ready in 30 s: $(curl -sS "http://127.0.0.1:$port/readyz"); $(tail -5 "$root/tmp/serve.log")"
	sleep 0.2
done
log "deb-test: ready: $body"
# The metrics README's alerts are written on.
metrics=$(curl -fsS "http://127.0.0.1:$port/metrics")
for m in 'callctl_ami_connected 1' 'callctl_ari_connected 1' 'callctl_webhook_oldest_pending_age_seconds ' \
	'callctl_cdr_commit_delay_seconds_bucket{' 'callctl_cdr_commits_pending '; do
	grep -qF "$m" <<<"$metrics" || fail "/metrics has no $m"
done
# The admin CLI, as root, goes through the daemon's socket.
in_root callctl status | grep -q '^database *\/var\/lib\/callctl\/callctl.db' || fail "status: $(in_root callctl status 2>&1)"
check "user add" in_root callctl user add crm --password-stdin <<<"s3cret-pw" >/dev/null
in_root callctl user list --json | grep -q '"name": "crm"' || fail "user list"
kill -TERM $serve_pid
wait $serve_pid || fail "serve did not stop cleanly on SIGTERM: $(tail -5 "$root/tmp/serve.log")"
serve_pid=

# Upgrade (the same package as a later version): the administrator's
# change to the conffile and the data stay, the new version runs.
$SUDO dpkg-deb -R "$deb" "$root/tmp/up"
$SUDO sed -i "s/^Version: .*/Version: $version+up1/" "$root/tmp/up/DEBIAN/control"
$SUDO dpkg-deb --root-owner-group -Znone -b "$root/tmp/up" "$root/tmp/callctl-up.deb" >/dev/null
$SUDO sed -i 's/^  level: info$/  level: debug/' "$root/etc/callctl/callctl.yaml"
check "upgrade" in_root dpkg -i --force-confold /tmp/callctl-up.deb >/dev/null
[ "$(in_root dpkg-query -W -f='${Version}' callctl)" = "$version+up1" ] || fail "after the upgrade: $(in_root dpkg-query -W callctl)"
grep -q '^  level: debug$' "$root/etc/callctl/callctl.yaml" || fail "the upgrade replaced the changed conffile"
in_root runuser -u callctl -- callctl user list --json | grep -q '"name": "crm"' || fail "the upgrade lost the data"
[ "$(in_root stat -c '%a %U %G' /etc/callctl/callctl.yaml)" = "640 root callctl" ] || fail "callctl.yaml after the upgrade"

# Remove keeps the data and the configuration; purge removes everything.
check "dpkg -r" in_root dpkg -r callctl >/dev/null
[ -f "$root/var/lib/callctl/callctl.db" ] && [ -f "$root/etc/callctl/callctl.yaml" ] || fail "remove lost the data or the configuration"
check "dpkg --purge" in_root dpkg --purge callctl >/dev/null
snapshot >"$root.after"
if ! diff -u "$root.before" "$root.after" >"$root.diff"; then
	cat "$root.diff" >&2
	fail "the purge left something behind"
fi
log "deb-test: ok: installed, checked, served, upgraded, purged cleanly in a fresh $SUITE root ($((SECONDS - start)) s)"
