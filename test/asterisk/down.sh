#!/usr/bin/env bash
# Stops the test-bed Asterisk and unmounts the root's /proc. Idempotent.
#   down.sh          graceful: Asterisk hangs its calls up and stops
#   down.sh --kill   SIGKILL, as a crash: calls vanish without a hangup
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

if [ "${1:-}" = "--kill" ] && [ -f "$ROOT/run/asterisk/asterisk.pid" ]; then
	log "killing Asterisk"
	$SUDO kill -9 "$(cat "$ROOT/run/asterisk/asterisk.pid")" 2>/dev/null || true
elif asterisk_running; then
	log "stopping Asterisk"
	asterisk_cli "core stop now" >/dev/null 2>&1 || true
fi
# Wait for the process to be gone (the control socket disappears first).
pidfile="$ROOT/run/asterisk/asterisk.pid"
if [ -f "$pidfile" ]; then
	pid=$(cat "$pidfile")
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && { log "Asterisk did not stop: killing $pid"; $SUDO kill -9 "$pid" || true; }
	$SUDO rm -f "$pidfile"
fi
if [ -d "$ROOT/proc" ] && mountpoint -q "$ROOT/proc"; then
	$SUDO umount "$ROOT/proc" || $SUDO umount -l "$ROOT/proc"
fi
log "Asterisk is down"
