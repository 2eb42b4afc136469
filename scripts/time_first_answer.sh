#!/bin/sh
# Seconds from a fresh clone to the first answer of `make run`: clones this checkout's HEAD into a
# temporary directory, runs `make run` there (its own .venv) and polls the demo with curl until a chat
# completion answers 200. Prints the wall time and the CPU time the clone, the install and the demo
# used (on a busy machine the wall time mostly measures the other processes; the CPU time does not).
# Stops the demo (its process group) and removes the clone at the end.
#   scripts/time_first_answer.sh [port] [git ref, default HEAD]
set -eu
PORT="${1:-4790}"
REF="${2:-HEAD}"
SRC="$(git rev-parse --show-toplevel)"
WORK="$(mktemp -d)"
PID=""
cleanup() {
  if [ -n "$PID" ]; then
    kill -TERM -"$PID" 2>/dev/null || true
    sleep 2
    kill -KILL -"$PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
TICKS="$(getconf CLK_TCK)"
START="$(date +%s.%N)"
CLONE_CPU="$( { /usr/bin/time -f '%U %S' git clone -q "$SRC" "$WORK/llmrelay"; } 2>&1 | awk '{print $1 + $2}')"
cd "$WORK/llmrelay"
git checkout -q "$(git -C "$SRC" rev-parse "$REF")"
PORT="$PORT" setsid make run >"$WORK/run.log" 2>&1 &
PID=$!
BODY='{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello!"}]}'
until curl -sf -o /dev/null "http://127.0.0.1:$PORT/v1/chat/completions" \
    -H 'Authorization: Bearer sk-llmrelay-demo' -H 'Content-Type: application/json' -d "$BODY"; do
  if ! kill -0 "$PID" 2>/dev/null; then cat "$WORK/run.log"; exit 1; fi
  sleep 0.2
done
END="$(date +%s.%N)"
# CPU of every live process of the session, and of the finished ones its members waited for
RUN_TICKS=0
for stat in /proc/[0-9]*/stat; do
  fields="$(cat "$stat" 2>/dev/null)" || continue
  set -- $(echo "$fields" | sed 's/^.*) //')
  # after the command name: state ppid pgrp session ... utime(12) stime(13) cutime(14) cstime(15)
  if [ "$4" = "$PID" ]; then RUN_TICKS=$((RUN_TICKS + ${12} + ${13} + ${14} + ${15})); fi
done
echo "first answer after $(echo "$END - $START" | bc) s wall, $(echo "scale=1; $CLONE_CPU + $RUN_TICKS / $TICKS" | bc) s CPU" \
  "(installed: $(du -sh .venv | cut -f1); load average $(cut -d' ' -f1-3 /proc/loadavg))"
