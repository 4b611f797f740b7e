#!/bin/sh
# greet NAME: one line of greeting, then who and where we are.
echo "$GREETING, ${1:-world}!"
echo "user=$(id -un) uid=$(id -u) cwd=$(pwd) $(cat "$APP_HOME/build-info")"
if touch data/.probe 2>/dev/null; then echo "volume data is writable"; rm -f data/.probe; fi
