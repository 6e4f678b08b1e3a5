#!/bin/sh
# One-shot service of docker-compose.yml (runs in the matrixdotorg/synapse image, as root):
# generates Synapse's config and signing key on the first run, and writes the registration
# shared secret from .env on every run, readable only by Synapse's user (991).
set -eu
: "${MATRIX_REGISTRATION_SHARED_SECRET:?set MATRIX_REGISTRATION_SHARED_SECRET in .env (see docker/quorum.env.example)}"
if [ ! -f /data/homeserver.yaml ]; then
  /start.py generate
fi
umask 077
printf '%s' "$MATRIX_REGISTRATION_SHARED_SECRET" >/data/registration_shared_secret
chown 991:991 /data/registration_shared_secret
