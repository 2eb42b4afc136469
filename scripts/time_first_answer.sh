#!/bin/sh
# Seconds from a fresh clone to the first answer of `make run`: clones this checkout's HEAD into a
# temporary directory, runs `make run` there (its own .venv) and polls the demo with curl until a chat
# completion answers 200. Stops the demo (its process group) and removes the clone at the end.
#   scripts/time_first_answer.sh [port]
set -eu
PORT="${1:-4790}"
SRC="$(git rev-parse --show-toplevel)"
WORK="$(mktemp -d)"
trap 'kill -TERM -"$PID" 2>/dev/null || true; sleep 1; rm -rf "$WORK"' EXIT
START="$(date +%s.%N)"
git clone -q "$SRC" "$WORK/llmrelay"
cd "$WORK/llmrelay"
PORT="$PORT" setsid make run >"$WORK/run.log" 2>&1 &
PID=$!
BODY='{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello!"}]}'
until curl -sf -o /dev/null "http://127.0.0.1:$PORT/v1/chat/completions" \
    -H 'Authorization: Bearer sk-llmrelay-demo' -H 'Content-Type: application/json' -d "$BODY"; do
  if ! kill -0 "$PID" 2>/dev/null; then cat "$WORK/run.log"; exit 1; fi
  sleep 0.2
done
END="$(date +%s.%N)"
echo "first answer after $(echo "$END - $START" | bc) s (installed: $(du -sh .venv | cut -f1))"
