#!/bin/sh
# `make demo`: runs the system end to end. Until the first flow (lock–app
# binding) lands, that is the build's own self test: every published
# vector on both crypto backends, as `ward selftest` shows it.
set -eu
cd "$(dirname "$0")/.."
WARD=build/cli/ward
echo "== ward $($WARD version)"
echo "== known-answer self test on both crypto backends"
$WARD selftest --backend all --verbose
