# Shared settings of the test-bed scripts (sourced, not run).
# The sid root with Asterisk is built once and cached outside the repository.
TESTBED_CACHE=${CALLCTL_TESTBED_CACHE:-/var/cache/callctl-testbed}
ROOT=${CALLCTL_TESTBED_ROOT:-$TESTBED_CACHE/root}
PACKAGES=asterisk,asterisk-modules,asterisk-core-sounds-en-gsm
MIRROR=${CALLCTL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi

log() { printf '%s testbed: %s\n' "$(date +%T)" "$*" >&2; }

# asterisk_cli runs one Asterisk CLI command inside the root.
asterisk_cli() { $SUDO chroot "$ROOT" /usr/sbin/asterisk -rx "$1"; }

asterisk_running() {
	[ -S "$ROOT/run/asterisk/asterisk.ctl" ] && asterisk_cli "core show version" >/dev/null 2>&1
}
