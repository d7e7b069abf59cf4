#!/usr/bin/env bash
# Runs an Asterisk CLI command on the test bed: test/asterisk/cli.sh "pjsip show contacts"
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
asterisk_cli "$*"
