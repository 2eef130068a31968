#!/usr/bin/env bash
# The README's walk-through, runnable: one small campaign built by hand with curl.
#
#   bash docs/walkthrough.sh
#
# Fresh data directory, free loopback ports; `ringcast serve` (API + dialer) and
# `ringcast callee-farm` (the SIP trunk the calls go to) run in the background
# and are stopped on exit. Ends when the execution is `completed` (or fails after
# 180 s) and prints one call report. The lines between the two scissors marks are
# the README's commands, word for word (tests/test_readme_walkthrough.py checks it).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d .venv/bin ] && export PATH="$PWD/.venv/bin:$PATH"

export RINGCAST_DATA_DIR=$(mktemp -d)
free_port() { python3 -c 'import socket, sys; s = socket.socket(type=getattr(socket, sys.argv[1])); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"; }
API_PORT=$(free_port SOCK_STREAM)
SIP_PORT=$(free_port SOCK_DGRAM)

cleanup() {
  status=$?
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  if [ "$status" != 0 ]; then
    echo "walkthrough failed (exit $status); server log:" >&2
    tail -n 40 "$RINGCAST_DATA_DIR/serve.log" >&2 || true
  fi
  rm -rf "$RINGCAST_DATA_DIR"
}
trap cleanup EXIT

# ---8<--- walk-through (the README shows these lines)
KEY=$(ringcast keys create --org "Acme Collections" --name walkthrough -q)
ringcast serve --port "$API_PORT" > "$RINGCAST_DATA_DIR/serve.log" 2>&1 &
ringcast callee-farm --port "$SIP_PORT" > "$RINGCAST_DATA_DIR/farm.log" 2>&1 &
API=http://127.0.0.1:$API_PORT
for i in $(seq 60); do curl -sf "$API/health" > /dev/null && break; sleep 1; done
curl -sf "$API/health"; echo

jget() { python3 -c 'import json, sys; doc = json.load(sys.stdin)
try: print(doc[sys.argv[1]])
except (KeyError, TypeError): sys.exit(f"no {sys.argv[1]!r} in {doc}")' "$1"; }

TRUNK=$(curl -sS --fail-with-body -H "x-api-key: $KEY" -H 'content-type: application/json' "$API/api/trunks" \
  -d "{\"name\": \"callee farm\", \"host\": \"127.0.0.1\", \"port\": $SIP_PORT, \"isDefault\": true}" | jget id)
curl -sS --fail-with-body -H "x-api-key: $KEY" -H 'content-type: application/json' "$API/api/dids" \
  -d "{\"number\": \"+212522000001\", \"country\": \"MA\", \"trunkId\": \"$TRUNK\"}" > /dev/null

curl -sS --fail-with-body -H "x-api-key: $KEY" -H 'content-type: application/json' "$API/api/custom-attributes" \
  -d '{"displayName": "Balance", "type": "number"}' | jget name
curl -sS --fail-with-body -H "x-api-key: $KEY" -H 'content-type: application/json' "$API/api/contact/upsert" -d '{"data": [
  {"primaryPhone": "+212661000101", "firstName": "Amina", "customAttributes": {"balance": 1523}},
  {"primaryPhone": "+212661000245", "firstName": "Youssef", "customAttributes": {"balance": 250}},
  {"primaryPhone": "+212661000310", "firstName": "Sara", "customAttributes": {"balance": 99}},
  {"primaryPhone": "+212661000470", "firstName": "Omar", "customAttributes": {"balance": 12000}}]}'; echo
AUDIENCE=$(curl -sS --fail-with-body -H "x-api-key: $KEY" -H 'content-type: application/json' "$API/api/audience" \
  -d '{"name": "Walk-through debtors"}' | jget id)
CONTACTS=$(curl -sS --fail-with-body -H "x-api-key: $KEY" "$API/api/contact?limit=100" \
  | python3 -c 'import json, sys; print(json.dumps([c["id"] for c in json.load(sys.stdin)["data"]]))')
curl -sS --fail-with-body -H "x-api-key: $KEY" -H 'content-type: application/json' "$API/api/audience/$AUDIENCE/add-contacts" \
  -d "{\"contacts\": $CONTACTS}" > /dev/null

for name in greeting currency menu confirm callback voicemail; do
  id=$(curl -sS --fail-with-body -H "x-api-key: $KEY" "$API/api/audio-management/upload" \
    -F "file=@src/ringcast/assets/demo/en/$name.wav;type=audio/wav" -F "title=$name" -F usageType=prompt | jget id)
  printf -v "AUDIO_$name" %s "$id"
done
echo "greeting prompt: $AUDIO_greeting"

FLOW=$(curl -sS --fail-with-body -H "x-api-key: $KEY" -H 'content-type: application/json' "$API/api/flows" -d @- <<EOF | jget id
{"name": "Payment reminder", "graph": {"startNodeId": "dial", "nodes": [
  {"id": "dial", "type": "dial", "config": {"timeout": 8000, "enableAMD": true, "waitForBeep": true},
   "outputs": {"onAnswer": "balance", "onVoicemail": "message", "default": "end"}},
  {"id": "balance", "type": "play", "outputs": {"onComplete": "menu", "onError": "end"}, "config": {"audioItems": [
    {"type": "audioFile", "audioId": "$AUDIO_greeting"},
    {"type": "number", "value": {"source": "customAttribute", "attributeName": "balance"},
     "mode": "full", "language": "en", "dictionaryId": null},
    {"type": "audioFile", "audioId": "$AUDIO_currency"}]}},
  {"id": "menu", "type": "dtmf", "outputs": {"branches": {"1": "confirm", "2": "callback"}, "default": "end"},
   "config": {"mode": "single_digit", "variable": "choice", "timeout": 5000,
              "singleDigitConfig": {"allowedDigits": ["1", "2"]}, "retry": {"maxRetries": 1},
              "prompt": [{"type": "audioFile", "audioId": "$AUDIO_menu"}]}},
  {"id": "confirm", "type": "play", "outputs": {"default": "end"},
   "config": {"audioItems": [{"type": "audioFile", "audioId": "$AUDIO_confirm"}]}},
  {"id": "callback", "type": "play", "outputs": {"default": "end"},
   "config": {"audioItems": [{"type": "audioFile", "audioId": "$AUDIO_callback"}]}},
  {"id": "message", "type": "play", "outputs": {"default": "end"},
   "config": {"audioItems": [{"type": "audioFile", "audioId": "$AUDIO_voicemail"}]}},
  {"id": "end", "type": "hangup", "config": {"reason": "completed"}, "outputs": {}}]}}
EOF
)

curl -sS --fail-with-body -H "x-api-key: $KEY" -H 'content-type: application/json' "$API/api/flows/execute" \
  -d "{\"flowId\": \"$FLOW\", \"mode\": \"simulate\", \"simulate\": {\"answer\": \"human\", \"digits\": [\"1\"]},
       \"contact\": {\"primaryPhone\": \"+212661000101\", \"customAttributes\": {\"balance\": 1523}}}" \
  | python3 -c 'import json, sys; r = json.load(sys.stdin); print("simulated:", r["outcome"], " -> ".join(p["nodeId"] for p in r["executionPath"]))'

PROGRAM=$(curl -sS --fail-with-body -H "x-api-key: $KEY" -H 'content-type: application/json' "$API/api/programs" -d @- <<EOF | jget id
{"name": "Walk-through reminders", "audienceId": "$AUDIENCE", "flowId": "$FLOW",
 "didPool": ["+212522000001"], "timezone": "Africa/Casablanca",
 "retryStrategy": {"type": "fixed_delay", "delayMinutes": 30, "maxRetries": 2, "retryOn": ["busy", "no_answer"]},
 "pauseWindows": {"advanced": [{"startAt": "2099-12-24T18:00:00Z", "endAt": "2099-12-26T08:00:00Z"}]},
 "maxConcurrentCalls": 4, "callsPerSecond": 2}
EOF
)
EXECUTION=$(curl -sS --fail-with-body -H "x-api-key: $KEY" -X POST "$API/api/programs/$PROGRAM/launch" | jget executionId)
echo "execution $EXECUTION"

for i in $(seq 90); do
  STATE=$(curl -sS --fail-with-body -H "x-api-key: $KEY" "$API/api/program-executions/$EXECUTION")
  echo "$STATE" | python3 -c 'import json, sys; e = json.load(sys.stdin); print("execution {status}: {contactsCompleted} completed, {contactsInProgress} in progress, {contactsPending} pending, {contactsFailed} failed".format(**e))'
  [ "$(echo "$STATE" | jget status)" = completed ] && break
  sleep 2
done
[ "$(echo "$STATE" | jget status)" = completed ]

curl -sS --fail-with-body -H "x-api-key: $KEY" -H 'content-type: application/json' "$API/api/call-report/export" \
  -d "{\"executionId\": \"$EXECUTION\"}" > "$RINGCAST_DATA_DIR/report.csv"
cut -d, -f4,6,7,15,17 "$RINGCAST_DATA_DIR/report.csv"
JOB=$(python3 -c 'import csv, sys; print(next(r["jobId"] for r in csv.DictReader(open(sys.argv[1])) if r["phone"] == "+212661000101"))' "$RINGCAST_DATA_DIR/report.csv")
curl -sS --fail-with-body -H "x-api-key: $KEY" "$API/api/call-report/$JOB" | python3 -m json.tool
# ---8<--- end of walk-through
