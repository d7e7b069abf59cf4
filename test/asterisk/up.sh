#!/usr/bin/env bash
# Brings up the test-bed Asterisk: installs what it needs, builds (once) and
# caches a Debian sid root with Asterisk 22, installs the project's config and
# starts Asterisk on 127.0.0.1 (PJSIP 5060, AMI 5038, ARI 8088). Idempotent:
# if Asterisk already runs it only refreshes the config and reloads.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
start=$(date +%s.%N)

need=()
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v sipp >/dev/null || need+=(sip-tester)
command -v curl >/dev/null || need+=(curl)
# Peers of the tests: PHP's own unserialize() for the VIPeX php format.
command -v php >/dev/null || need+=(php-cli)
if [ ${#need[@]} -gt 0 ]; then
	log "installing ${need[*]}"
	$SUDO apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}" >/dev/null
fi

stamp="$ROOT/.callctl-root"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$PACKAGES" ]; then
	log "building the sid root in $ROOT (about a minute)"
	$SUDO mkdir -p "$TESTBED_CACHE"
	$SUDO rm -rf "$ROOT.tmp"
	# The mirror's sid Release file is often past its Valid-Until date.
	$SUDO mmdebstrap --quiet --variant=apt \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--include="$PACKAGES" sid "$ROOT.tmp" "$MIRROR"
	echo "$PACKAGES" | $SUDO tee "$ROOT.tmp/.callctl-root" >/dev/null
	$SUDO rm -rf "$ROOT"
	$SUDO mv "$ROOT.tmp" "$ROOT"
fi

# Our configuration replaces the packaged one entirely.
$SUDO rm -rf "$ROOT/etc/asterisk"
$SUDO mkdir -p "$ROOT/etc/asterisk"
$SUDO cp "$HERE"/etc/*.conf "$ROOT/etc/asterisk/"
# No resolver: Asterisk must not look up its own name or the root servers.
printf '127.0.0.1 localhost %s\n::1 localhost\n' "$(hostname)" | $SUDO tee "$ROOT/etc/hosts" >/dev/null
: | $SUDO tee "$ROOT/etc/resolv.conf" >/dev/null
$SUDO mkdir -p "$ROOT/run/asterisk" "$ROOT/var/spool/asterisk/monitor" "$ROOT/var/spool/asterisk/recording" "$ROOT/var/log/asterisk/cdr-custom"

if asterisk_running; then
	log "Asterisk already runs: reloading the configuration"
	asterisk_cli "core reload" >/dev/null
	# core reload does not load a module added to modules.conf since
	# Asterisk started.
	for mod in cel_sqlite3_custom.so app_voicemail.so; do
		asterisk_cli "module show like $mod" | grep -q "^$mod" || asterisk_cli "module load $mod" >/dev/null
	done
else
	mountpoint -q "$ROOT/proc" || $SUDO mount -t proc proc "$ROOT/proc"
	$SUDO rm -f "$ROOT/run/asterisk/asterisk.ctl" "$ROOT/run/asterisk/asterisk.pid"
	log "starting Asterisk"
	# Without the descriptors this script inherited: a caller's
	# flock(1) on the test bed's lock must not live on in Asterisk (it
	# would hold the lock until Asterisk stops, and every locked run
	# would wait for ever).
	(
		for fd in $(ls /proc/$BASHPID/fd); do
			[ "$fd" -gt 2 ] && eval "exec $fd>&-"
		done
		exec $SUDO chroot "$ROOT" /usr/sbin/asterisk -n -F
	)
fi

# Ready when fully booted and both AMI and ARI answer.
deadline=$((SECONDS + 60))
until asterisk_running && asterisk_cli "core waitfullybooted" >/dev/null 2>&1; do
	[ $SECONDS -lt $deadline ] || { log "Asterisk did not boot"; exit 1; }
	sleep 0.2
done
until exec 3<>/dev/tcp/127.0.0.1/5038 && head -c 20 <&3 | grep -q Asterisk; do
	[ $SECONDS -lt $deadline ] || { log "AMI does not answer on 127.0.0.1:5038"; exit 1; }
	sleep 0.2
done
exec 3>&- 3<&-
until curl -fsS -u callctl:callctl http://127.0.0.1:8088/ari/asterisk/info >/dev/null 2>&1; do
	[ $SECONDS -lt $deadline ] || { log "ARI does not answer on 127.0.0.1:8088"; exit 1; }
	sleep 0.2
done
log "Asterisk $(asterisk_cli 'core show version' | awk '{print $2}') is up ($(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo 0)") s)"
