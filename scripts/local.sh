#!/usr/bin/env bash
# Runs Quorum against a local Synapse that this script starts (scripts/synapse.sh), creating
# on first run: a person to log in as, and config.yaml from config.example.yaml with that
# person allowed to talk to the agents. Models come from OPENAI_API_KEY / OPENAI_BASE_URL
# (e.g. a local Ollama at http://localhost:11434/v1) or ANTHROPIC_API_KEY; with none set,
# each agent answers with a message saying which variable to set.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/synapse.sh start >/dev/null
set -a
# shellcheck disable=SC1090 # written by scripts/synapse.sh start
. "$(bash scripts/synapse.sh env-file)"
set +a
state_dir=$(dirname "$(bash scripts/synapse.sh env-file)")

user=${QUORUM_LOCAL_USER:-you}
password_file="$state_dir/$user.password"
[ -f "$password_file" ] || (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$password_file")
npx tsx scripts/register-user.ts "$user" "$(cat "$password_file")"

if [ ! -f config.yaml ]; then
  node - "$user" "$MATRIX_SERVER_NAME" <<'NODE'
const { readFileSync, writeFileSync } = require('node:fs');
const [user, server] = process.argv.slice(2);
let text = readFileSync('config.example.yaml', 'utf8')
  .replace('global_users: []', `global_users: ['@${user}:${server}']`);
if (!process.env.OPENAI_API_KEY && !process.env.OPENAI_BASE_URL && process.env.ANTHROPIC_API_KEY) {
  text = text.replace(/  default:\n(    .*\n)+?    temperature: 0\.3\n/, "  default:\n    provider: anthropic\n    id: ${QUORUM_MODEL:-claude-sonnet-4-5}\n");
}
writeFileSync('config.yaml', text);
console.log('wrote config.yaml from config.example.yaml');
NODE
fi

cat <<INFO

  Quorum is starting against $MATRIX_HOMESERVER
  Log in with any Matrix client (Element: "Edit" the homeserver to $MATRIX_HOMESERVER)
    user:     @$user:$MATRIX_SERVER_NAME
    password: $(cat "$password_file")
  Accept the invites to #lobby and #dev, then mention an agent, e.g. "@assistant hello".
  Health: http://127.0.0.1:${QUORUM_API_PORT:-8765}/api/ready    Stop: Ctrl-C (Quorum, then Synapse)

INFO
# Ctrl-C (or SIGTERM) stops Quorum gracefully, then the Synapse started above; its data
# stays in place, so the next run starts in seconds with the same accounts and rooms.
trap 'bash scripts/synapse.sh stop >/dev/null' EXIT
node --import tsx src/cli/main.ts run --config config.yaml &
quorum=$!
# Ctrl-C reaches Quorum itself (same process group); a SIGTERM sent to this script alone is
# passed on. Passing Ctrl-C on too would be a second signal, which makes Quorum exit at once.
trap 'kill -TERM "$quorum" 2>/dev/null || true' TERM
trap ':' INT
# The first wait returns when a signal arrives; the second waits for Quorum's own exit.
status=0
wait "$quorum" || status=$?
if kill -0 "$quorum" 2>/dev/null; then
  status=0
  wait "$quorum" || status=$?
fi
exit "$status"
