#!/usr/bin/env bash
# Runs a command (a load run) with Asterisk and the command's own processes
# in a cpu cgroup with a high weight, so that other work on a shared machine
# (compiles, tests) takes less of the cores while it measures:
#
#	bash test/load/shield.sh go run ./test/load/cps -calls 2000 -rate 100
#
# Everything the command starts (callctl, sipp) inherits the cgroup.
# Asterisk is moved back to the root cgroup when the command ends. Needs
# root and a cgroup v1 cpu hierarchy (/sys/fs/cgroup/cpu) or cgroup v2
# (cpu.weight); without either it runs the command unshielded and says so.
# Report numbers taken with it as "shielded".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../asterisk/env.sh"

ast_pid=$(cat "$ROOT/run/asterisk/asterisk.pid" 2>/dev/null || true)
v1=/sys/fs/cgroup/cpu
v2=/sys/fs/cgroup/unified
if [ -w "$v1/cpu.shares" ] || [ -w "$v1" ]; then
	cg=$v1/callctl-loadtest root=$v1
	mkdir -p "$cg"
	echo 262144 >"$cg/cpu.shares"
elif [ -f "$v2/cgroup.controllers" ] && grep -qw cpu "$v2/cgroup.controllers"; then
	cg=$v2/callctl-loadtest root=$v2
	mkdir -p "$cg"
	echo 10000 >"$cg/cpu.weight"
else
	log "shield: no writable cpu cgroup, running unshielded"
	exec "$@"
fi

restore() {
	if [ -n "$ast_pid" ] && [ -d "/proc/$ast_pid" ]; then
		echo "$ast_pid" >"$root/cgroup.procs" 2>/dev/null || true
	fi
}
trap restore EXIT
if [ -n "$ast_pid" ]; then
	echo "$ast_pid" >"$cg/cgroup.procs" # all of its threads
fi
echo $$ >"$cg/cgroup.procs"
log "shield: Asterisk ${ast_pid:-(not running)} and this run in $cg"
"$@"
